import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// A docker compose service: `up -d --no-build` through the host's compose CLI (v2 or v1), logs
/// followed with `docker logs -f --timestamps`, state from `docker inspect` (exited, or
/// restarting = crash-loop), `docker stop` + `rm -f` to stop.
public final class ComposeServer: ContainedServer, @unchecked Sendable {
    // Sendable by hand: mutable state behind `lock`.
    /// When `up` was spawned: the user's restart starts here.
    public let startedAt: Date
    /// The container's own `State.StartedAt`: the server process starts here.
    public let containerStartedAt: Date?
    public let service: String
    let container: String
    let logs: ChildProcess?
    let commands: CommandRunning
    private let lock = NSLock()
    private var lastInspect = Date.distantPast
    private var lastVerdict: String?
    private var lostEngine = false

    public init(cli: ComposeCLI, file: String, service: String, profile: String?, container: String, envFile: String?,
                environment: [String: String], onLine: (@Sendable (TimedLine) -> Void)?) throws {
        self.container = container
        self.service = service
        self.commands = SystemCommandRunner(environment: environment)
        // Never pull: compose v1 pulls a missing image even with --no-build, which would time a
        // download (and reach a registry). Ask the engine first; v2 is also told --pull never.
        if let image = ComposeFile.image(of: service, in: file), !image.contains("$"),
           case .success(let o) = commands.run(["docker", "image", "inspect", "--format", "{{.Id}}", image], timeout: 10), o.status != 0 {
            // "No such image" is the image; anything else is the engine (gone, or refusing us).
            if !o.stderr.lowercased().contains("no such image"), case .noEngine = DockerEngine.classify(failure: o) {
                throw LaunchError(Self.engineStopped(before: service), engineLost: true)
            }
            throw LaunchError("the image of \(service) in \(file) (\(image)) is not present, and bench never pulls or builds: build or load it first (docker compose build \(service), docker load)")
        }
        var up = ["up", "-d", "--no-build"]
        if cli.generation >= 2 { up += ["--pull", "never"] }
        let argv = cli.command(file: file, envFile: envFile, profile: profile, up + [service])
        startedAt = Date()
        switch commands.run(argv, timeout: 180) {
        case .failure(let e): throw LaunchError("\(argv.joined(separator: " ")): \(e)")
        case .success(let out) where out.status != 0:
            throw Self.explainUpFailure(out.stderr + "\n" + out.stdout, file: file, service: service, cli: cli)
        case .success: break
        }
        containerStartedAt = Self.startedAt(container, commands: commands)
        logs = try? ChildProcess(["docker", "logs", "-f", "--timestamps", container], environment: environment, onLine: onLine)
    }

    /// One line naming the file and service, with what to do, from compose's own words.
    static func explainUpFailure(_ text: String, file: String, service: String, cli: ComposeCLI) -> LaunchError {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let said = lines.suffix(2).joined(separator: " | ")
        let lower = text.lowercased()
        let what: String
        if lower.contains("no such service") || lower.contains("no service selected") {
            what = "\(file) has no service \(service) (or its profile is not enabled): check the service name and `profiles:`"
        } else if lower.contains("no such image") || lower.contains("pull access denied") || lower.contains("manifest unknown")
                    || (lower.contains("image") && lower.contains("not found")) || lower.contains("needs to be built") {
            what = "the image of \(service) in \(file) is not present (bench uses --no-build): build or load it first (docker compose build \(service))"
        } else if lower.contains("cannot connect to the docker daemon") || lower.contains("couldn't connect to docker daemon")
                    || lower.contains("is the docker daemon running") {
            return LaunchError(Self.engineStopped(before: service), engineLost: true)
        } else if lower.contains("permission denied") {
            what = "the Docker engine refused this user while starting \(service): join the docker group or use sudo"
        } else {
            what = "\(cli.argv.joined(separator: " ")) could not start \(service) from \(file)"
        }
        return LaunchError("\(what) (\(cli.argv.joined(separator: " ")) said: \(said))")
    }

    static func engineStopped(before service: String) -> String {
        "the Docker engine stopped answering before \(service) could start: start it again (sudo systemctl start docker) and re-run bench"
    }

    /// Set once `docker inspect` finds no engine behind the socket.
    public var engineLost: Bool { lock.lock(); defer { lock.unlock() }; return lostEngine }

    /// `State.StartedAt` (RFC 3339 with nanoseconds) as a Date.
    static func startedAt(_ container: String, commands: CommandRunning) -> Date? {
        guard case .success(let o) = commands.run(["docker", "inspect", "-f", "{{.State.StartedAt}}", container], timeout: 10),
              o.status == 0 else { return nil }
        return parseDockerTime(o.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Lines ordered by the RFC 3339 time `docker logs --timestamps` puts first (stable; a line
    /// without one keeps the time of the line before it). Linear in the text, n log n in lines.
    static func inLogOrder(_ lines: [TimedLine]) -> [TimedLine] {
        var previous = ""
        let keys: [String] = lines.map { line in
            if let key = sortKey(line.text) { previous = key }
            return previous
        }
        return lines.indices.sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 }.map { lines[$0] }
    }

    /// "2026-12-02T10:01:58.1234Z text" → "2026-12-02T10:01:58.123400000": docker trims the
    /// fraction's trailing zeros, so it is padded to nanoseconds before texts are compared.
    static func sortKey(_ text: String) -> String? {
        let bytes = text.utf8.prefix(40)
        guard bytes.count >= 20 else { return nil }
        let head = Array(bytes)
        let shape = Array("0000-00-00T00:00:00".utf8)
        for (i, s) in shape.enumerated() {
            let b = head[i]
            guard s == UInt8(ascii: "0") ? (b >= 48 && b <= 57) : b == s else { return nil }
        }
        var i = 19
        var fraction = ""
        if head[i] == UInt8(ascii: ".") {
            i += 1
            while i < head.count, head[i] >= 48, head[i] <= 57 { fraction.append(Character(UnicodeScalar(head[i]))); i += 1 }
        }
        guard i < head.count, head[i] == UInt8(ascii: "Z"), fraction.count <= 9 else { return nil }
        return String(decoding: head[0..<19], as: UTF8.self) + "." + fraction + String(repeating: "0", count: 9 - fraction.count)
    }

    static func parseDockerTime(_ text: String) -> Date? {
        // ISO8601DateFormatter takes at most milliseconds: parse the seconds, add the fraction.
        let base: Substring, fraction: Double
        if let dot = text.firstIndex(of: ".") {
            base = text[..<dot]
            let digits = text[text.index(after: dot)...].prefix { $0.isNumber }
            fraction = Double("0." + digits) ?? 0
        } else {
            base = text.hasSuffix("Z") ? text.dropLast() : Substring(text)
            fraction = 0
        }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: base + "Z").map { $0.addingTimeInterval(fraction) }
    }

    public var serverStartedAt: Date { containerStartedAt ?? startedAt }
    public var pidForCleanup: pid_t? { logs?.pid }
    public var containerForCleanup: String? { container }

    /// The container's environment as the server sees it (`Config.Env`).
    public func environment() -> [String: String]? {
        guard case .success(let o) = commands.run(["docker", "inspect", "-f", "{{json .Config.Env}}", container], timeout: 10),
              o.status == 0, let items = (try? JSONLite.parse(Array(o.stdout.utf8)))?.array else { return nil }
        let list = items.compactMap(\.string)
        var env: [String: String] = [:]
        for item in list {
            if let eq = item.firstIndex(of: "=") { env[String(item[..<eq])] = String(item[item.index(after: eq)...]) }
        }
        return env
    }

    public func ended() -> String? {
        lock.lock(); defer { lock.unlock() }
        // docker inspect costs ~20 ms: ask at most five times a second.
        guard Date().timeIntervalSince(lastInspect) > 0.2 else { return lastVerdict }
        lastInspect = Date()
        switch commands.run(["docker", "inspect", "-f", "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}", container], timeout: 5) {
        case .success(let out) where out.status == 0:
            let f = out.stdout.split(separator: " ")
            if f.count >= 3 {
                if f[0] == "exited" || f[0] == "dead" { lastVerdict = "container exited with status \(f[2])" }
                else if f[0] == "restarting" || (Int(f[1]) ?? 0) > 0 { lastVerdict = "container restarting (restart count \(f[1])): crash-loop" }
            }
        case .success(let out) where out.stderr.lowercased().contains("no such"):
            lastVerdict = "container \(container) is gone (removed by someone else?)"
        case .success(let out) where out.stderr.lowercased().contains("daemon"):
            lastVerdict = "the Docker engine stopped answering"
            lostEngine = true
        default: break
        }
        return lastVerdict
    }

    public var logLines: [TimedLine] {
        // `docker logs --timestamps` prefixes an RFC 3339 time; arrival time is ours.
        // Its stdout and stderr come through two pipes read by two threads: put them back in
        // the container's order (on a loaded machine a crash's last stderr line was followed
        // by earlier stdout lines, and fell out of the tail shown).
        var lines = Self.inLogOrder(logs?.output ?? [])
        // `logs -f` may end with the first exit of a crash-looping container: fetch the tail.
        if lastVerdict != nil, lines.isEmpty || !(logs?.isRunning ?? false),
           case .success(let o) = commands.run(["docker", "logs", "--tail", "50", container], timeout: 10), o.status == 0 {
            let now = Date()
            let tail = (o.stdout + "\n" + o.stderr).split(separator: "\n").map { TimedLine(stream: .stdout, arrival: now, text: TimedLine.capped($0.utf8)) }
            if tail.count > lines.count { lines = tail }
        }
        return lines
    }

    public func stop(grace: TimeInterval) -> String {
        _ = commands.run(["docker", "stop", "-t", String(Int(grace)), container], timeout: grace + 10)
        _ = commands.run(["docker", "rm", "-f", container], timeout: 30)
        logs?.terminate(grace: 1)
        return "docker stop -t \(Int(grace)) + rm -f"
    }
}
