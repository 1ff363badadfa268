import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// The runbook starts its servers with `docker compose`: a compose CLI (v2 or v1), an engine
/// that answers this user, and a compose file that compose itself accepts. Checked before
/// bench starts anything, so a missing piece is one line here, not N failed runs. No CLI runs
/// on this path: the CLI is found in its folders, the engine is asked over its socket, and the
/// file is validated in-process; `--deep` also asks the CLI (its version, `config -q`).
public struct RuntimeComposeCheck: Check {
    public let id = "runtime.compose"
    public let title = "docker compose can start the runbook's services"
    public let mayBlock = true
    public init() {}

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        let file = context.composePath
        guard FileFacts.isFile(file) else {
            return .skip("no \(context.display(file)): bench needs a --plan on this host")
        }
        var evidence: Evidence = ["file": file]
        let env = context.processEnvironment
        guard let located = ComposeCLI.locate(environment: env) else {
            return .fail("no compose command: neither the `docker compose` plugin (v2) nor `docker-compose` (v1) is installed", evidence: evidence,
                         fix: "sudo apt-get install docker-compose (or the docker-compose-plugin package)")
        }
        var cli = located.cli
        evidence["compose"] = "\(cli.label) at \(located.path)"
        guard cli.argv.first == "docker" || ComposeCLI.onPath("docker", path: env["PATH"]) != nil else {
            return .fail("no docker client on PATH", evidence: evidence, fix: "sudo apt-get install docker.io")
        }
        // The file is read (once per run, with offline.compose) before the engine is asked: this
        // worker parses while the other one, in runtime.containers, waits on the engine's socket.
        let document = context.composeDocument
        let engineVersion: String
        // --deep asks /version too (the engine's own answer, 7-10 ms), not only /_ping's headers.
        let engine = context.options.deep ? DockerEngineAPI.probe(environment: env, deepVersion: true) : context.dockerEngine
        switch engine {
        case .reachable(let version, let api):
            engineVersion = version
            let endpoint = DockerEngineAPI.endpoint(environment: env)
            evidence["engine"] = "Docker \(version) (API \(api)) at \(endpoint.address.text), from \(endpoint.from)"
        case .absent(let why), .refused(let why), .broken(let why):
            evidence["engine"] = why
            return .fail("no Docker engine answers (\(why))", evidence: evidence,
                         fix: "sudo systemctl start docker (or set DOCKER_HOST to the engine's socket)")
        case .notASocket(let path):
            evidence["engine"] = "\(path) is not a socket"
            return .fail("no Docker engine answers: \(path) is not a socket", evidence: evidence,
                         fix: "point DOCKER_HOST at the engine's socket (unix:///var/run/docker.sock), or restart docker to recreate it")
        case .denied(let why):
            evidence["engine"] = why
            return .fail("the Docker engine refuses this user (permission denied on its socket)", evidence: evidence,
                         fix: "sudo usermod -aG docker $USER (then log in again), or run with sudo")
        case .timeout(let why):
            evidence["engine"] = why
            return .fail("the Docker engine accepted but did not answer within the \(Int(DockerEngineAPI.requestTimeout)) s limit (\(why))", evidence: evidence,
                         fix: "sudo systemctl restart docker (the engine is hung or overloaded)")
        case .invalid(let why):
            evidence["engine"] = why
            return .fail("the Docker engine's address is malformed: \(why)", evidence: evidence,
                         fix: "set it to unix:///var/run/docker.sock or tcp://HOST:PORT (or unset it for the default socket)")
        case .unsupported(let why):
            evidence["engine"] = why
            if !context.options.deep {
                return .warn("the Docker engine is not checked: \(why)", evidence: evidence, fix: "sllm-doctor check --deep")
            }
            engineVersion = "?"
        }

        let display = context.display
        let findings: [ComposeFinding]
        switch document {
        case .success(let document):
            findings = ComposeValidation.validate(document, interpolation: context.composeInterpolation(forOfflineJudgement: false),
                                                  generation: cli.generation, resolved: context.resolvedComposeServices, display: display)
        case .failure(let error):
            findings = [ComposeFinding(severity: .error, text: error.description.replacingEvery(file, with: display(file)))]
        }
        let errors = findings.filter { $0.severity == .error }
        let warnings = findings.filter { $0.severity == .warning }
        for (i, f) in findings.prefix(20).enumerated() { evidence["\(f.severity.rawValue).\(i + 1)"] = f.text }

        var deepNote: String?
        if context.options.deep {
            let started = Date()
            if let asked = cli.withVersion(commands: context.commands) { cli = asked; evidence["compose"] = "\(cli.label) at \(located.path)" }
            let envFile = FileFacts.isFile(context.envFilePath) ? context.envFilePath : nil
            let verdict = cli.validate(file: file, envFile: envFile, commands: context.commands)
            let ms = Int(Date().timeIntervalSince(started) * 1000)
            evidence["deep"] = "\(cli.argv.joined(separator: " ")) version and config -q took \(ms) ms: \(verdict.map { "rejects the file: \($0)" } ?? "accepts the file")"
            switch (verdict, errors.isEmpty) {
            case (let problem?, true):
                return .fail("\(display(file)) is rejected by \(cli.argv.joined(separator: " ")) config (the in-process validation missed it): \(problem)", evidence: evidence,
                             fix: "fix \(display(file)) until `\(cli.argv.joined(separator: " ")) -f \(display(file)) config -q` passes")
            case (nil, false):
                deepNote = "\(cli.argv.joined(separator: " ")) config accepts it"
            default: break
            }
        }
        if let first = errors.first {
            let more = errors.count > 1 ? " (and \(errors.count - 1) more: -v)" : ""
            return .fail("\(display(file)) would be rejected by compose: \(first.text)\(more)\(deepNote.map { "; \($0)" } ?? "")", evidence: evidence,
                         fix: "fix \(display(file)) as named\(context.options.deep ? "" : "; `sllm-doctor check --deep` also asks the compose CLI")")
        }
        if let first = warnings.first {
            let more = warnings.count > 1 ? " (and \(warnings.count - 1) more: -v)" : ""
            return .warn("\(first.text)\(more)", evidence: evidence, fix: "fix \(display(file)) as named")
        }
        return .pass("\(cli.label) with Docker \(engineVersion); \(display(file)) is valid", evidence: evidence)
    }
}
