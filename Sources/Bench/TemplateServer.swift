import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// A server forked from a warm interpreter template: bench runs the template's client, which
/// hands it our pipes and waits for the fork's exit; the fork is its own process group, and a
/// stop reaches it through the client (a signal is forwarded) and, if the client had to be
/// killed, directly.
public final class TemplateServer: ServerHandle, @unchecked Sendable {
    // Sendable by hand: `client` guards its own state; `forked` is set once, before use.
    let client: ChildProcess
    public let forked: pid_t?
    public var startedAt: Date { client.startedAt }
    public var pidForCleanup: pid_t? { client.pid }
    public var groupsForCleanup: [pid_t] { [client.pid] + (forked.map { [$0] } ?? []) }

    public init(host: TemplateHost, argv: [String], environment: [String: String], cwd: String?,
                onLine: (@Sendable (TimedLine) -> Void)?) throws {
        let pidFile = FileFacts.join(NSTemporaryDirectory(), "sllm-template-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pid")
        client = try ChildProcess(host.clientArgv(argv, pidFile: pidFile), environment: host.clientEnvironment(environment),
                                  workingDirectory: cwd, onLine: onLine)
        // The template answers the fork's pid within milliseconds; the watchdog needs it.
        var pid: pid_t?
        let deadline = Date().addingTimeInterval(5)
        while pid == nil && Date() < deadline && client.poll() == nil {
            pid = FileFacts.readSmall(pidFile).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if pid == nil { usleep(2_000) }
        }
        if pid == nil { pid = FileFacts.readSmall(pidFile).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) } }
        try? FileManager.default.removeItem(atPath: pidFile)
        forked = pid
    }

    public func ended() -> String? {
        guard let s = client.poll() else { return nil }
        if s == TemplateHost.unreachableStatus { return "the template went away (its client exited with status 75)" }
        return s > 128 ? "killed by signal \(s - 128)" : "exited with status \(s)"
    }

    public var logLines: [TimedLine] { client.output }

    public func stop(grace: TimeInterval) -> String {
        let r = client.terminate(grace: grace)
        var how = r.escalated ? "SIGKILL after \(Int(grace)) s grace (ignored SIGTERM)" : "SIGTERM, exit \(r.status)"
        if let g = forked, kill(-g, 0) == 0 {
            // The client is gone and the fork's group is not (it ignored the forwarded SIGTERM).
            let deadline = Date().addingTimeInterval(2)
            while kill(-g, 0) == 0 && Date() < deadline { usleep(20_000) }
            if kill(-g, SIGKILL) == 0 { how += "; SIGKILL to the fork's group \(g)" }
        }
        client.drainOutput(timeout: 1)
        return how
    }
}
