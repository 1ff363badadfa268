import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// A plain command in its own process group.
public final class ProcessServer: ServerHandle, @unchecked Sendable {
    // Sendable by hand: ChildProcess guards its own state; `child` never changes.
    let child: ChildProcess
    public var startedAt: Date { child.startedAt }
    public var pidForCleanup: pid_t? { child.pid }

    public init(argv: [String], environment: [String: String], cwd: String?, onLine: (@Sendable (TimedLine) -> Void)?) throws {
        child = try ChildProcess(argv, environment: environment, workingDirectory: cwd, onLine: onLine)
    }

    public func ended() -> String? {
        guard let s = child.poll() else { return nil }
        return s > 128 ? "killed by signal \(s - 128)" : "exited with status \(s)"
    }

    public var logLines: [TimedLine] { child.output }

    public func stop(grace: TimeInterval) -> String {
        let r = child.terminate(grace: grace)
        child.drainOutput(timeout: 1)
        return r.escalated ? "SIGKILL after \(Int(grace)) s grace (ignored SIGTERM)" : "SIGTERM, exit \(r.status)"
    }
}
