import DoctorCore
import Foundation
import SystemProbes
#if canImport(Glibc)
import Glibc
import Runbook
import Basics
#endif

/// One warm interpreter template that bench started: it imports once, and each server start of
/// a `template` variant is forked from it (`python -m vllm_template run` hands the client's
/// stdin/stdout/stderr to the fork, so the server's log and exit status come back as usual).
public final class TemplateHost: @unchecked Sendable {
    // Sendable by hand: used from the runner's thread; ChildProcess guards its own state.
    public let python: String
    public let socket: String
    public let spec: TemplateSpec
    let environment: [String: String]
    private(set) var child: ChildProcess?
    /// Each start of the template: how long until it answered, and what it held then.
    public private(set) var starts: [(ms: Double, status: TemplateStatus?)] = []
    /// Crashes seen and restarted after (bench restarts it once, then stops).
    public private(set) var crashes: [String] = []

    public static let crashedCause = "template-crashed"
    public static let staleCause = "template-stale"
    /// The client's exit status when the template is not there (vllm_template.protocol).
    public static let unreachableStatus: Int32 = 75

    public init(python: String, spec: TemplateSpec, environment: [String: String], socket: String) {
        self.python = python; self.spec = spec; self.socket = socket
        var env = environment
        env["PYTHONPATH"] = ([spec.pythonPath] + (env["PYTHONPATH"].map { [$0] } ?? [])).joined(separator: ":")
        self.environment = env
    }

    /// The environment a client (and so the server forked for it) runs with.
    public func clientEnvironment(_ base: [String: String]) -> [String: String] {
        var env = base
        let paths = (base["PYTHONPATH"] ?? "").split(separator: ":").map(String.init)
        if !paths.contains(spec.pythonPath) { env["PYTHONPATH"] = ([spec.pythonPath] + paths).joined(separator: ":") }
        return env
    }

    /// The command bench starts instead of the server's own: the same argv, forked from the template.
    public func clientArgv(_ argv: [String], pidFile: String?) -> [String] {
        [python, "-m", "vllm_template", "run", "--socket", socket] + (pidFile.map { ["--pid-file", $0] } ?? []) + ["--"] + argv
    }

    public var pid: pid_t? { child?.pid }

    /// nil while it runs; else how it ended ("killed by signal 9", "exited with status 1").
    public func ended() -> String? {
        guard let c = child, let s = c.poll() else { return child == nil ? "not started" : nil }
        return s > 128 ? "killed by signal \(s - 128)" : "exited with status \(s)"
    }

    /// A socket that is not ours must never be used (it would take our command and environment).
    public static func socketProblem(_ path: String, uid: uid_t = getuid()) -> String? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        if (st.st_mode & S_IFMT) != S_IFSOCK { return "\(path) exists and is not a socket: remove it or choose another template socket" }
        if st.st_uid != uid {
            return "the template socket \(path) is owned by \(FileFacts.userName(st.st_uid)) (uid \(st.st_uid)), not by this user: refusing to use another user's template; choose another socket"
        }
        if st.st_mode & 0o077 != 0 {
            return "the template socket \(path) has mode \(String(st.st_mode & 0o777, radix: 8)): others can open it (expected 0600)"
        }
        return nil
    }

    /// Starts it and waits until it says it is ready; the time it took, or why it could not.
    @discardableResult
    public func start(timeout: TimeInterval, interrupted: () -> Bool, onLine: (@Sendable (TimedLine) -> Void)? = nil) throws -> Double {
        if let problem = Self.socketProblem(socket) { throw LaunchError(problem) }
        var argv = [python, "-m", "vllm_template", "serve", "--socket", socket]
        for m in spec.preload { argv += ["--preload", m] }
        if !spec.watch.isEmpty { argv += ["--watch", spec.watch.joined(separator: ",")] }
        let c: ChildProcess
        do { c = try ChildProcess(argv, environment: environment, keepLines: 2000, onLine: onLine) }
        catch { throw LaunchError("cannot start the template (\(argv.joined(separator: " "))): \(error)") }
        child = c
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline && !interrupted() {
            if c.output.contains(where: { $0.stream == .stdout && $0.text.hasPrefix("vllm-template: ready") }) {
                let ms = Date().timeIntervalSince(c.startedAt) * 1000
                starts.append((ms, status()))
                return ms
            }
            if c.poll() != nil {
                c.drainOutput(timeout: 1)
                let said = c.output.filter { $0.stream == .stderr }.suffix(3).map(\.text).joined(separator: " | ")
                throw LaunchError("the template \(ended() ?? "ended") before it was ready: \(said.isEmpty ? "(no output)" : said)")
            }
            usleep(20_000)
        }
        _ = c.terminate(grace: 5)
        throw LaunchError(interrupted() ? "interrupted while the template started" : "the template was not ready after \(Int(timeout)) s")
    }

    /// What it holds now (nil: it did not answer).
    public func status(commands: CommandRunning? = nil) -> TemplateStatus? {
        let runner = commands ?? SystemCommandRunner(environment: environment)
        guard case .success(let o) = runner.run([python, "-m", "vllm_template", "status", "--socket", socket, "--json"], timeout: 30),
              o.status == 0 || o.status == 1 else { return nil }
        return TemplateStatus.parse(o.stdout)
    }

    /// The last lines it wrote (why it died).
    public var lastLines: [String] { (child?.output ?? []).suffix(5).map(\.text) }

    public func noteCrash(_ why: String) { crashes.append(why) }

    /// SIGTERM to its group (it stops every server it forked), SIGKILL after `grace`.
    @discardableResult
    public func stop(grace: TimeInterval = 15) -> String? {
        guard let c = child else { return nil }
        let r = c.terminate(grace: grace)
        child = nil
        return r.escalated ? "SIGKILL after \(Int(grace)) s" : "SIGTERM, exit \(r.status)"
    }
}
