import DoctorCore
import Foundation
import SystemProbes

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
}

extension ServerHandle {
    public var containerForCleanup: String? { nil }
}

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

/// A docker compose service: `up -d`, logs followed with `docker logs -f --timestamps`,
/// state from `docker inspect` (exited, or restarting = crash-loop), `docker rm -f` to stop.
public final class ComposeServer: ServerHandle, @unchecked Sendable {
    // Sendable by hand: mutable state behind `lock`.
    public let startedAt: Date
    let container: String
    let logs: ChildProcess?
    let commands: CommandRunning
    private let lock = NSLock()
    private var lastInspect = Date.distantPast
    private var lastVerdict: String?

    public init(file: String, service: String, profile: String?, container: String, envFile: String?,
                environment: [String: String], onLine: (@Sendable (TimedLine) -> Void)?) throws {
        self.container = container
        self.commands = SystemCommandRunner(environment: environment)
        var argv = ["docker", "compose", "-f", file]
        if let envFile { argv += ["--env-file", envFile] }
        if let profile { argv += ["--profile", profile] }
        argv += ["up", "-d", "--no-build", service]
        startedAt = Date()
        switch commands.run(argv, timeout: 120) {
        case .failure(let e): throw UsageError("docker compose: \(e)")
        case .success(let out) where out.status != 0:
            throw UsageError("\(argv.joined(separator: " ")) failed: \(out.stderr.split(separator: "\n").suffix(3).joined(separator: " | "))")
        case .success: break
        }
        logs = try? ChildProcess(["docker", "logs", "-f", "--timestamps", container], environment: environment, onLine: onLine)
    }

    public var pidForCleanup: pid_t? { logs?.pid }
    public var containerForCleanup: String? { container }

    public func ended() -> String? {
        lock.lock(); defer { lock.unlock() }
        // docker inspect costs ~20 ms: ask at most twice a second.
        guard Date().timeIntervalSince(lastInspect) > 0.5 else { return lastVerdict }
        lastInspect = Date()
        if case .success(let out) = commands.run(["docker", "inspect", "-f", "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}", container], timeout: 5),
           out.status == 0 {
            let f = out.stdout.split(separator: " ")
            if f.count >= 3 {
                if f[0] == "exited" || f[0] == "dead" { lastVerdict = "container exited with status \(f[2])" }
                else if f[0] == "restarting" || (Int(f[1]) ?? 0) > 0 { lastVerdict = "container restarting (restart count \(f[1])): crash-loop" }
            }
        }
        return lastVerdict
    }

    public var logLines: [TimedLine] {
        // `docker logs --timestamps` prefixes an RFC 3339 time; arrival time is ours.
        logs?.output ?? []
    }

    public func stop(grace: TimeInterval) -> String {
        _ = commands.run(["docker", "stop", "-t", String(Int(grace)), container], timeout: grace + 10)
        _ = commands.run(["docker", "rm", "-f", container], timeout: 30)
        logs?.terminate(grace: 1)
        return "docker stop -t \(Int(grace)) + rm -f"
    }
}

public enum Launcher {
    public static func start(_ v: Variant, baseEnvironment: [String: String], extraEnv: [String: String],
                             onLine: (@Sendable (TimedLine) -> Void)?) throws -> ServerHandle {
        switch v.launch {
        case .command(let argv, let env, let cwd):
            var environment = baseEnvironment
            for (k, x) in env { environment[k] = x }
            for (k, x) in extraEnv { environment[k] = x }
            if v.kind == .wake { environment["VLLM_SERVER_DEV_MODE"] = "1" }
            var args = argv
            if v.kind == .wake && !args.contains("--enable-sleep-mode") && args.first != "/bin/sh" { args.append("--enable-sleep-mode") }
            return try ProcessServer(argv: args, environment: environment, cwd: cwd, onLine: onLine)
        case .compose(let file, let service, let profile, let container, let envFile):
            var environment = baseEnvironment
            for (k, x) in extraEnv { environment[k] = x }
            return try ComposeServer(file: file, service: service, profile: profile, container: container, envFile: envFile,
                                     environment: environment, onLine: onLine)
        }
    }
}
