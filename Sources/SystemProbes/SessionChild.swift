import Foundation
import CShims
#if canImport(Glibc)
import Glibc
#endif
import Basics

/// A child in a session of its own, with its output going to a file: how a server is started
/// for a CRIU dump (a pipe or terminal outside the dumped tree cannot be restored, and the
/// session keeps the shell that started it out of the image).
public final class SessionChild: @unchecked Sendable {
    // Sendable by hand: `status` is guarded by `lock`; the rest never changes.
    public let pid: pid_t
    public let startedAt: Date
    private let lock = NSLock()
    private var status: Int32?

    /// - Parameters:
    ///   - output: the file that gets its stdout and stderr (created or truncated, mode 0600).
    public init(_ argv: [String], environment: [String: String], workingDirectory: String? = nil, output: String) throws {
        precondition(!argv.isEmpty)
        guard let exe = ChildProcess.resolve(argv[0], path: environment["PATH"] ?? ProcessEnvironment.value("PATH")) else {
            throw ProcessError.notFound(argv[0])
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Only these three: a descriptor bench (or whatever started bench) left open would be
        // dumped into the image with the server, and may not be there to restore.
        _ = cshims_spawn_addclosefrom(&actions, 3)
        if let workingDirectory { cshims_spawn_addchdir(&actions, workingDirectory) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var noSignals = sigset_t(); sigemptyset(&noSignals)
        var allSignals = sigset_t(); sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attr, &noSignals)
        posix_spawnattr_setsigdefault(&attr, &allSignals)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | cshims_spawn_setsid_flag())
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }
        var childPID: pid_t = 0
        let rc = posix_spawn(&childPID, exe, &actions, &attr, cArgs, cEnv)
        guard rc == 0 else { throw ProcessError.spawnFailed(argv[0], rc) }
        pid = childPID
        startedAt = Date()
    }

    /// Its exit status (128 + signal when killed), once it ended and was reaped; nil while it runs.
    public func poll() -> Int32? {
        lock.lock(); defer { lock.unlock() }
        if let status { return status }
        var s: Int32 = 0
        let r = waitpid(pid, &s, WNOHANG)
        guard r == pid else { return nil }
        status = Self.decode(s)
        return status
    }

    /// Waits (bounded) for it to end; its status, or nil if it still runs.
    @discardableResult
    public func wait(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let s = poll() { return s }
            usleep(10_000)
        }
        return poll()
    }

    /// SIGKILL to its whole session's process group, then reaped.
    public func kill() {
        if poll() == nil { _ = Glibc.kill(-pid, SIGKILL); _ = Glibc.kill(pid, SIGKILL) }
        wait(timeout: 10)
    }

    static func decode(_ s: Int32) -> Int32 {
        let sig = s & 0x7f
        return sig == 0 ? (s >> 8) & 0xff : 128 + sig
    }

    /// Makes this process its descendants' subreaper (on) or not (off): a process whose parent
    /// ended comes here, not to an init that may never reap it (a zombie keeps its pid, and a
    /// CRIU restore needs each pid of its image free).
    @discardableResult
    public static func setSubreaper(_ on: Bool) -> Bool { cshims_set_child_subreaper(on ? 1 : 0) == 0 }

    /// Reaps these pids if they are ended children of this process, waiting up to `timeout`
    /// for them to end; the ones still there after it.
    @discardableResult
    public static func reap(_ pids: [pid_t], timeout: TimeInterval) -> [pid_t] {
        var left = pids
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            left = left.filter { p in
                var s: Int32 = 0
                let r = waitpid(p, &s, WNOHANG)
                if r == p { return false }
                // Not our child (ECHILD): gone, or someone else's to reap.
                if r < 0 { return FileManager.default.fileExists(atPath: "/proc/\(p)") && !isZombieOfAnother(p) }
                return true
            }
            if left.isEmpty { break }
            usleep(20_000)
        } while Date() < deadline
        return left
    }

    /// A zombie we cannot reap (its parent is not us): nothing to wait for here.
    static func isZombieOfAnother(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.first == "Z" && fields.count > 1 && Int32(fields[1]) != getpid()
    }
}
