import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// A started server, however it was started.
public protocol ServerHandle: AnyObject, Sendable {
    var startedAt: Date { get }
    /// Why the server is no longer starting: exited (with its status) or restarting
    /// (a container's restart policy hides a crash-loop). nil while it runs.
    func ended() -> String?
    /// Lines so far, stamped on arrival.
    var logLines: [TimedLine] { get }
    /// Stops it (SIGTERM, SIGKILL after `grace`; `docker rm -f`) and reports how.
    func stop(grace: TimeInterval) -> String
    var pidForCleanup: pid_t? { get }
    /// A container to remove if bench dies before stopping it.
    var containerForCleanup: String? { get }
    /// When the server process itself started: a container's start, after `up` did its part.
    var serverStartedAt: Date { get }
    /// Every process group to stop if bench dies (a template's fork has its own, beside its client's).
    var groupsForCleanup: [pid_t] { get }
}

extension ServerHandle {
    public var containerForCleanup: String? { nil }
    public var serverStartedAt: Date { startedAt }
    public var groupsForCleanup: [pid_t] { pidForCleanup.map { [$0] } ?? [] }
}
