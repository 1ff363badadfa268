import DoctorCore
import SystemProbes
import Runbook
import Basics

/// The runbook starts its servers with `docker compose`: a compose CLI (v2 or v1), an engine
/// that answers this user, and a compose file that compose itself accepts. Checked before
/// bench starts anything, so a missing piece is one line here, not N failed runs.
public struct RuntimeComposeCheck: Check {
    public let id = "runtime.compose"
    public let title = "docker compose can start the runbook's services"
    public let mayBlock = true
    public init() {}

    public func run(_ context: CheckContext) throws -> CheckResult {
        let file = context.composePath
        guard FileFacts.isFile(file) else {
            return .skip("no \(context.display(file)): bench needs a --plan on this host")
        }
        var evidence: Evidence = ["file": file]
        guard let cli = ComposeCLI.detect(environment: context.processEnvironment, commands: context.commands) else {
            return .fail("no compose command: neither `docker compose` (v2) nor `docker-compose` (v1) runs", evidence: evidence,
                         fix: "sudo apt-get install docker-compose (or the docker-compose-plugin package)")
        }
        evidence["compose"] = cli.label
        switch DockerEngine.probe(environment: context.processEnvironment, commands: context.commands) {
        case .noClient:
            return .fail("no docker client on PATH", evidence: evidence, fix: "sudo apt-get install docker.io")
        case .noEngine(let why):
            evidence["engine"] = why
            return .fail("no Docker engine answers (\(why))", evidence: evidence,
                         fix: "sudo systemctl start docker (or set DOCKER_HOST to the engine's socket)")
        case .denied(let why):
            evidence["engine"] = why
            return .fail("the Docker engine refuses this user (permission denied on its socket)", evidence: evidence,
                         fix: "sudo usermod -aG docker $USER (then log in again), or run with sudo")
        case .reachable(let version):
            evidence["engine"] = "Docker \(version)"
        }
        let envFile = FileFacts.isFile(context.envFilePath) ? context.envFilePath : nil
        if let problem = cli.validate(file: file, envFile: envFile, commands: context.commands) {
            return .fail("\(context.display(file)) is rejected by \(cli.argv.joined(separator: " ")) config: \(problem)", evidence: evidence,
                         fix: "fix \(context.display(file)) until `\(cli.argv.joined(separator: " ")) -f \(context.display(file)) config -q` passes")
        }
        return .pass("\(cli.label) with Docker \(evidence["engine"].map { $0.replacingOccurrences(of: "Docker ", with: "") } ?? "?"); \(context.display(file)) is valid", evidence: evidence)
    }
}
