#if canImport(Glibc)
import Glibc
#endif
import Foundation
import CShims
import Basics

public enum ProcessError: Error, CustomStringConvertible {
    case notFound(String)
    case spawnFailed(String, Int32)
    public var description: String {
        switch self {
        case .notFound(let cmd): return "command not found: \(cmd)"
        case .spawnFailed(let cmd, let err): return "cannot start \(cmd): \(String(cString: strerror(err)))"
        }
    }
}

/// A line a child wrote, stamped when it arrived here (vLLM's own stamps have 1 s resolution).
public struct TimedLine: Sendable {
    public enum Stream: String, Sendable { case stdout, stderr }
    public var stream: Stream
    public var arrival: Date
    public var text: String
    public init(stream: Stream, arrival: Date, text: String) {
        self.stream = stream; self.arrival = arrival; self.text = text
    }

    /// Bytes of one line kept (a vLLM line, its config dump included, is a few KB): a server
    /// that prints 16 MiB lines must not fill the terminal, the results JSON or memory.
    public static let maxBytes = 16 << 10

    /// The line as kept: its first `maxBytes` bytes, then how much was cut.
    public static func capped(_ bytes: some Collection<UInt8>, cut extra: Int = 0, limit: Int = maxBytes) -> String {
        let over = max(0, bytes.count - limit) + extra
        guard over > 0 else { return String(decoding: bytes, as: UTF8.self) }
        return String(decoding: bytes.prefix(limit), as: UTF8.self) + " … (\(over) bytes cut)"
    }
}

/// A spawned process in its own process group, so that stopping it also stops what it
/// started (vLLM's engine core, docker's children). Output is read on two threads and handed
/// over line by line with arrival times.
public final class ChildProcess: @unchecked Sendable {
    // Sendable by hand: all mutable state sits behind `lock`.
    public let pid: pid_t
    public let startedAt: Date
    public let command: [String]
    private let lock = NSLock()
    private var status: Int32?
    private var lines: [TimedLine] = []
    private var readersLeft = 2
    private let readersDone = DispatchSemaphore(value: 0)
    private let keepLines: Int

    /// A pipe whose two ends close on exec (so no child inherits them by accident).
    public static func makePipe() -> (read: Int32, write: Int32)? {
        var fds: [Int32] = [0, 0]
        guard cshims_pipe_cloexec(&fds) == 0 else { return nil }
        return (fds[0], fds[1])
    }

    /// Where to find a program: a path, or a name looked up in PATH.
    public static func resolve(_ program: String, path: String? = getenv("PATH").map { String(cString: $0) }) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        for dir in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// - Parameters:
    ///   - environment: the complete environment of the child.
    ///   - onLine: called on a reader thread for every line, as it arrives.
    ///   - stdin: a descriptor to give the child as its standard input (default /dev/null).
    public init(_ argv: [String], environment: [String: String], workingDirectory: String? = nil,
                keepLines: Int = 20_000, stdin: Int32? = nil, onLine: (@Sendable (TimedLine) -> Void)? = nil) throws {
        precondition(!argv.isEmpty)
        guard let exe = Self.resolve(argv[0], path: environment["PATH"] ?? ProcessEnvironment.value("PATH")) else {
            throw ProcessError.notFound(argv[0])
        }
        self.command = argv
        self.keepLines = keepLines
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard cshims_pipe_cloexec(&outPipe) == 0, cshims_pipe_cloexec(&errPipe) == 0 else {
            throw ProcessError.spawnFailed(argv[0], errno)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdin { posix_spawn_file_actions_adddup2(&actions, stdin, 0) }
        else { posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        if let workingDirectory { cshims_spawn_addchdir(&actions, workingDirectory) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Own process group (kill the whole tree), default signal handling and an empty mask
        // (the parent may block SIGINT/SIGTERM to handle them itself).
        var noSignals = sigset_t(); sigemptyset(&noSignals)
        var allSignals = sigset_t(); sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attr, &noSignals)
        posix_spawnattr_setsigdefault(&attr, &allSignals)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }
        var childPID: pid_t = 0
        let rc = posix_spawn(&childPID, exe, &actions, &attr, cArgs, cEnv)
        close(outPipe[1]); close(errPipe[1])
        guard rc == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw ProcessError.spawnFailed(argv[0], rc)
        }
        self.pid = childPID
        self.startedAt = Date()
        startReader(fd: outPipe[0], stream: .stdout, onLine: onLine)
        startReader(fd: errPipe[0], stream: .stderr, onLine: onLine)
    }

    private func startReader(fd: Int32, stream: TimedLine.Stream, onLine: (@Sendable (TimedLine) -> Void)?) {
        let thread = Thread { [self] in
            var pending = [UInt8]()
            var cutFromPending = 0   // bytes of the current line dropped past TimedLine.maxBytes
            var buffer = [UInt8](repeating: 0, count: 65536)
            func emit(_ bytes: ArraySlice<UInt8>) {
                var slice = bytes
                if slice.last == 13 && cutFromPending == 0 { slice = slice.dropLast() } // CRLF
                let line = TimedLine(stream: stream, arrival: Date(), text: TimedLine.capped(slice, cut: cutFromPending))
                cutFromPending = 0
                lock.lock()
                lines.append(line)
                if lines.count > keepLines { lines.removeFirst(lines.count - keepLines) }
                lock.unlock()
                onLine?(line)
            }
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                var chunk = buffer[0..<n]
                while !chunk.isEmpty {
                    let nl = chunk.firstIndex(of: 10)
                    let piece = chunk[..<(nl ?? chunk.endIndex)]
                    // Past the cap, bytes of this line are counted, not kept.
                    let room = max(0, TimedLine.maxBytes + 1 - pending.count)
                    pending.append(contentsOf: piece.prefix(room))
                    cutFromPending += max(0, piece.count - room)
                    guard let nl else { break }
                    emit(pending[...])
                    pending.removeAll(keepingCapacity: true)
                    chunk = chunk[(nl + 1)...]
                }
            }
            if !pending.isEmpty { emit(pending[...]) }
            close(fd)
            lock.lock(); readersLeft -= 1; let last = readersLeft == 0; lock.unlock()
            if last { readersDone.signal() }
        }
        thread.start()
    }

    /// The exit status if the process has ended (reaps it), else nil. Never blocks.
    public func poll() -> Int32? {
        lock.lock(); defer { lock.unlock() }
        if let status { return status }
        var raw: Int32 = 0
        let rc = waitpid(pid, &raw, WNOHANG)
        if rc == pid {
            status = Self.decode(raw)
            return status
        }
        if rc < 0 && errno == ECHILD { status = -1; return status }
        return nil
    }

    public var isRunning: Bool { poll() == nil }

    /// Exit code, or 128+signal for a killed process (shell convention).
    static func decode(_ raw: Int32) -> Int32 {
        let sig = raw & 0x7f
        if sig == 0 { return (raw >> 8) & 0xff }
        return 128 + sig
    }

    /// Waits for the exit; nil on timeout. Sleeps in poll(2) on a pidfd, which wakes at the
    /// exit itself; kernels without pidfd_open fall back to checking every 2 ms.
    @discardableResult
    public func wait(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        if let s = poll() { return s }
        let fd = cshims_pidfd_open(pid)
        defer { if fd >= 0 { close(fd) } }
        while true {
            if let s = poll() { return s }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return nil }
            if fd >= 0 {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = Glibc.poll(&p, 1, Int32(min(left * 1000, 60_000).rounded(.up)))
            } else {
                usleep(2_000)
            }
        }
    }

    /// Waits until both output streams are closed (all lines delivered), bounded.
    public func drainOutput(timeout: TimeInterval = 2) {
        if readersDone.wait(timeout: .now() + timeout) == .success { readersDone.signal() }
    }

    public func signalGroup(_ sig: Int32) {
        if poll() == nil { kill(-pid, sig) }
    }

    /// SIGTERM to the group, SIGKILL after `grace` seconds. Returns the exit status and
    /// whether the kill had to be escalated.
    @discardableResult
    public func terminate(grace: TimeInterval) -> (status: Int32, escalated: Bool) {
        if let s = poll() { killGroupLeftovers(); return (s, false) }
        kill(-pid, SIGTERM)
        if let s = wait(timeout: grace) { killGroupLeftovers(); return (s, false) }
        kill(-pid, SIGKILL)
        let s = wait(timeout: 10) ?? -1
        killGroupLeftovers()
        return (s, true)
    }

    /// After the leader exits, children in its group may linger (vLLM's engine core): kill them,
    /// and give the kernel a moment to finish them (SIGKILL is delivered asynchronously), so the
    /// caller's next look finds them gone (or zombies whose new parent has not reaped them yet).
    private func killGroupLeftovers() {
        guard kill(-pid, SIGKILL) == 0 else { return }     // ESRCH: the group is empty already
        for _ in 0..<100 {
            if kill(-pid, 0) != 0 || groupIsOnlyZombies() { return }
            usleep(2_000)
        }
    }

    /// True when every process left in the group is a zombie (nothing left to kill).
    private func groupIsOnlyZombies() -> Bool {
        guard let entries = FileFacts.names(in: "/proc") else { return false }
        for e in entries where e.first?.isNumber == true {
            guard let stat = FileFacts.readSmall("/proc/\(e)/stat"), let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // fields: state, ppid, pgrp, ...
            if fields.count > 2, Int32(fields[2]) == pid, fields[0] != "Z" { return false }
        }
        return true
    }

    public var output: [TimedLine] {
        lock.lock(); defer { lock.unlock() }
        return lines
    }
}

/// The result of a short external command (`nvidia-smi`, `docker ps`, `git ls-files`).
public struct CommandOutput: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var timedOut: Bool
}

/// Runs short external commands with a timeout. An injectable protocol so a context can
/// carry a recorder in diagnostics, while checks always get the real runner.
public protocol CommandRunning: Sendable {
    func run(_ argv: [String], timeout: TimeInterval) -> Result<CommandOutput, ProcessError>
}

public struct SystemCommandRunner: CommandRunning {
    public var environment: [String: String]
    public init(environment: [String: String] = ProcessEnvironment.current()) {
        self.environment = environment
    }

    public func run(_ argv: [String], timeout: TimeInterval) -> Result<CommandOutput, ProcessError> {
        do {
            let child = try ChildProcess(argv, environment: environment)
            let status = child.wait(timeout: timeout)
            let timedOut = status == nil
            let final = status ?? child.terminate(grace: 0.5).status
            child.drainOutput()
            let lines = child.output
            let out = lines.filter { $0.stream == .stdout }.map(\.text).joined(separator: "\n")
            let err = lines.filter { $0.stream == .stderr }.map(\.text).joined(separator: "\n")
            return .success(CommandOutput(status: final, stdout: out, stderr: err, timedOut: timedOut))
        } catch let error as ProcessError {
            return .failure(error)
        } catch {
            return .failure(.spawnFailed(argv[0], EINVAL))
        }
    }
}
