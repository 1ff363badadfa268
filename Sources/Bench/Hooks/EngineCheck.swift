import DoctorCore
import Foundation
import ServerClient
import SystemProbes
import Runbook
import Basics

/// A compose run that did not end ok: is the Docker engine still there? A container the
/// stopping engine stopped first looks like a crash; then the run is not counted and no later
/// run can start, so bench stops with partial results.
final class EngineCheck: RunHook {
    static let engineLostCause = "docker-engine-stopped"
    /// The compose service the runs start, named in the record.
    let service: String
    init(service: String) { self.service = service }

    func afterStop(_ run: RunContext, _ server: ServerHandle) {
        if run.record.outcome == .crashLoop, let c = server as? ComposeServer, c.engineLost { Self.markLost(&run.record, service: c.service) }
    }

    func afterRun(_ run: RunContext) -> Bool {
        guard run.record.outcome != .ok else { return false }
        if run.record.cause != Self.engineLostCause {
            if case .reachable = DockerEngine.probe(environment: run.env.processEnvironment, commands: run.env.commands) { return false }
            Self.markLost(&run.record, service: service)
        }
        run.stopBench("the Docker engine stopped answering")
        run.say("bench stops here: no later run can start without the Docker engine; partial results follow")
        return true
    }

    /// Not a crash of the server: the engine under it went away. Not counted, and no later run can start.
    static func markLost(_ r: inout RunRecord, service: String) {
        r.outcome = .failed
        r.cause = engineLostCause
        r.diagnosis = "the Docker engine stopped answering while \(service) was starting: start it again (sudo systemctl start docker) and re-run bench; this run is not counted"
    }
}
