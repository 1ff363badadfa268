import DoctorCore
import SystemProbes
import Runbook
import Basics

/// No container of an earlier run is left (runbook step 0); a restarting one is a crash-loop.
public struct RuntimeContainersCheck: Check {
    public let id = "runtime.containers"
    public let title = "no leftover benchmark containers"
    public let mayBlock = true
    public init() {}

    public func run(_ context: CheckContext) throws -> CheckResult {
        // Told without running docker (`docker ps` with no engine only fails, slowly).
        switch DockerEngine.precheck(environment: context.processEnvironment) {
        case .noClient?: return .skip("docker not installed")
        case .noEngine(let why)?: return .skip("docker engine not running (\(why))")
        default: break
        }
        let out: CommandOutput
        switch context.commands.run(["docker", "ps", "-a", "--format", "{{.Names}}\t{{.Status}}"], timeout: 4) {
        case .failure(let e): return .skip("docker: \(e)")
        case .success(let o): out = o
        }
        if out.timedOut { return .warn("docker ps did not answer within 4 s") }
        if out.status != 0 {
            if case .denied(let why) = DockerEngine.classify(failure: out) {
                // The engine runs but this user may not talk to it: bench would fail the same way.
                return .fail("docker engine refuses this user (permission denied on its socket)", evidence: ["stderr": why],
                             fix: "sudo usermod -aG docker $USER (then log in again), or run with sudo")
            }
            return .skip("docker engine not reachable: \(out.stderr.split(separator: "\n").first ?? "exit \(out.status)")")
        }
        var evidence = Evidence()
        var leftovers: [String] = []
        for line in out.stdout.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            guard let name = parts.first, CheckContext.runbookContainers.contains(name) else { continue }
            let status = parts.count > 1 ? parts[1] : ""
            evidence[name] = status
            leftovers.append(status.hasPrefix("Restarting") ? "\(name) (crash-looping)" : name)
        }
        if leftovers.isEmpty { return .pass("none of \(CheckContext.runbookContainers.joined(separator: ", ")) exists") }
        let names = evidence.items.map(\.key).joined(separator: " ")
        return .warn("leftover containers: \(leftovers.joined(separator: ", "))", evidence: evidence, fix: "docker rm -f \(names)")
    }
}
