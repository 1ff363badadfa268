import DoctorCore
import Foundation
import SystemProbes
#if canImport(Glibc)
import Glibc
import Runbook
import Basics
#endif

/// Keeps servers from outliving bench, however bench ends. A second process (`sllm-doctor
/// watchdog`, in its own process group, deaf to terminal signals) reads what bench started
/// from a pipe; when the pipe closes (bench exited, crashed or was killed with SIGKILL) it
/// stops every group and container still registered. A handled signal never gets that far:
/// bench stops its server itself and tells the watchdog.
public final class Watchdog: @unchecked Sendable {
    // Sendable by hand: writes to the pipe are serialised by `lock`.
    private let child: ChildProcess
    private let writeFD: Int32
    private let lock = NSLock()

    /// Starts `executable watchdog`; nil (with the reason) if it cannot run.
    public static func start(executable: String) -> Result<Watchdog, ProcessError> {
        guard let pipe = ChildProcess.makePipe() else { return .failure(.spawnFailed("pipe", errno)) }
        let fds = [pipe.read, pipe.write]
        do {
            let child = try ChildProcess([executable, "watchdog"], environment: ProcessInfo.processInfo.environment,
                                         keepLines: 50, stdin: fds[0])
            close(fds[0])
            return .success(Watchdog(child: child, writeFD: fds[1]))
        } catch let e as ProcessError {
            close(fds[0]); close(fds[1])
            return .failure(e)
        } catch {
            close(fds[0]); close(fds[1])
            return .failure(.spawnFailed(executable, EINVAL))
        }
    }

    private init(child: ChildProcess, writeFD: Int32) { self.child = child; self.writeFD = writeFD }

    public var pid: pid_t { child.pid }

    public func track(_ server: ServerHandle) { send(Self.line(for: server, verb: "track")) }
    public func forget(_ server: ServerHandle) { send(Self.line(for: server, verb: "forget")) }
    /// A process group bench started that is no server (the template).
    public func track(group: pid_t) { send("track group \(group)\n") }
    public func forget(group: pid_t) { send("forget group \(group)\n") }

    static func line(for server: ServerHandle, verb: String) -> String {
        if let c = server.containerForCleanup { return "\(verb) container \(c)\n" }
        return server.groupsForCleanup.map { "\(verb) group \($0)\n" }.joined()
    }

    private func send(_ text: String) {
        guard !text.isEmpty else { return }
        lock.lock(); defer { lock.unlock() }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(writeFD, $0.baseAddress, $0.count) }
    }

    /// Bench is done and has stopped everything itself: let the watchdog go.
    public func finish() {
        lock.lock(); close(writeFD); lock.unlock()
        _ = child.wait(timeout: 5)
    }

    // MARK: - The watchdog process

    /// Runs in the watchdog process: collects registrations until stdin closes, then stops
    /// what is left: SIGTERM to each group, SIGKILL after `grace`, `docker rm -f` for containers.
    public static func serve(grace: TimeInterval = 5) -> Never {
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU] { signal(sig, SIG_IGN) }
        var groups = Set<pid_t>()
        var containers = Set<String>()
        var pending = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(0, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pending += String(decoding: buffer[0..<n], as: UTF8.self)
            while let nl = pending.firstIndex(of: "\n") {
                let parts = pending[..<nl].split(separator: " ", maxSplits: 2).map(String.init)
                pending.removeSubrange(...nl)
                guard parts.count == 3 else { continue }
                switch (parts[0], parts[1]) {
                case ("track", "group"): if let p = pid_t(parts[2]), p > 1 { groups.insert(p) }
                case ("forget", "group"): if let p = pid_t(parts[2]) { groups.remove(p) }
                case ("track", "container"): containers.insert(parts[2])
                case ("forget", "container"): containers.remove(parts[2])
                default: break
                }
            }
        }
        for g in groups { kill(-g, SIGTERM) }
        let deadline = Date().addingTimeInterval(grace)
        while groups.contains(where: { kill(-$0, 0) == 0 }) && Date() < deadline { usleep(50_000) }
        for g in groups where kill(-g, 0) == 0 { kill(-g, SIGKILL) }
        for c in containers {
            _ = SystemCommandRunner().run(["docker", "rm", "-f", c], timeout: 30)
        }
        exit(0)
    }
}
