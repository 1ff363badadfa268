import DoctorCore
import SystemProbes
import Runbook
import Basics

/// No container of an earlier run is left (runbook step 0); a restarting one is a crash-loop.
/// Asked of the engine over its socket (`/containers/json?all=1`, filtered by name): no docker
/// CLI process, and a 1 s limit.
public struct RuntimeContainersCheck: Check {
    public let id = "runtime.containers"
    public let title = "no leftover benchmark containers"
    public let mayBlock = true
    /// Leftovers named in the summary; the rest are counted.
    static let namedInSummary = 10
    public init() {}

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        let env = context.processEnvironment
        // One request serves both runtime checks (the list's answer carries the engine's
        // version): a failed one says as much about the engine as a failed ping.
        let found: [DockerEngineAPI.Container]
        switch context.dockerEngineSnapshot.containers {
        case .success(let c): found = c
        case .failure(let f):
            switch f.state {
            case .reachable: return .skip("docker engine not reachable")
            case .absent(let why):
                if ComposeCLI.onPath("docker", path: env["PATH"]) == nil && env["DOCKER_HOST"] == nil { return .skip("docker not installed") }
                return .skip("docker engine not running (\(why))")
            case .refused(let why), .broken(let why): return .skip("docker engine not reachable: \(why)")
            case .notASocket(let path): return .skip("docker engine not reachable: \(path) is not a socket")
            case .unsupported(let why), .invalid(let why): return .skip("docker engine not checked: \(why)")
            case .timeout(let why): return .warn("the Docker engine did not answer within the \(Int(DockerEngineAPI.requestTimeout)) s limit (\(why))")
            case .denied(let why):
                // The engine runs but this user may not talk to it: bench would fail the same way.
                return .fail("docker engine refuses this user (permission denied on its socket)", evidence: ["engine": why],
                             fix: "sudo usermod -aG docker $USER (then log in again), or run with sudo")
            }
        }
        var evidence = Evidence()
        var leftovers: [String] = []
        for c in found {
            evidence[c.name] = c.status
            leftovers.append(c.state == "restarting" || c.status.hasPrefix("Restarting") ? "\(c.name) (crash-looping)" : c.name)
        }
        if leftovers.isEmpty { return .pass("none of \(RunbookFacts.runbookContainers.joined(separator: ", ")) exists") }
        let names = evidence.items.map(\.key).joined(separator: " ")
        // An engine may list any number: the summary names the first few (the JSON's evidence all).
        let more = leftovers.count > Self.namedInSummary ? " … and \(leftovers.count - Self.namedInSummary) more" : ""
        return .warn("leftover containers: \(leftovers.prefix(Self.namedInSummary).joined(separator: ", "))\(more)",
                     evidence: evidence, fix: "docker rm -f \(names)")
    }
}
