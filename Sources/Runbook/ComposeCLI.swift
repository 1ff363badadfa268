import Foundation
import SystemProbes
import Basics

/// The compose command this host has: `docker compose` (v2 plugin) first, else `docker-compose`
/// (v1, Debian's 1.29). Both take the flags bench uses (`-f`, `--env-file`, `--profile`,
/// `up -d --no-build SERVICE`, `config -q`), so everything else is the same.
public struct ComposeCLI: Sendable, Equatable {
    public var argv: [String]
    public var version: String
    public var generation: Int

    /// How results and notes name it: `docker compose 2.29.1 (v2)`, `docker-compose 1.29.2 (v1)`.
    public var label: String {
        version.isEmpty ? "\(argv.joined(separator: " ")) (v\(generation))" : "\(argv.joined(separator: " ")) \(version) (v\(generation))"
    }

    /// The compose command this host has, found without running anything: the v2 plugin in
    /// docker's CLI plugin folders (used as `docker compose`, so `docker` must be on PATH),
    /// else `docker-compose` on PATH (v1 when it is a Python script; a binary is v2's
    /// standalone build). The version stays unknown ("") until `withVersion` asks the CLI.
    public static func locate(environment: [String: String]) -> (cli: ComposeCLI, path: String)? {
        let path = environment["PATH"]
        if onPath("docker", path: path) != nil {
            for dir in pluginFolders(environment: environment) {
                let candidate = FileFacts.join(dir, "docker-compose")
                if isExecutableFile(candidate) {
                    return (ComposeCLI(argv: ["docker", "compose"], version: "", generation: 2), candidate)
                }
            }
        }
        if let standalone = onPath("docker-compose", path: path) {
            let head = FileFacts.readSmall(standalone, limit: 256) ?? ""
            let generation = head.hasPrefix("#!") && head.contains("python") ? 1 : head.hasPrefix("\u{7F}ELF") ? 2 : 1
            return (ComposeCLI(argv: ["docker-compose"], version: "", generation: generation), standalone)
        }
        return nil
    }

    /// An executable named `name` in a PATH folder, found by bytes (check runs this on every start:
    /// the generic split of a String costs more than the lookups).
    public static func onPath(_ name: String, path: String?) -> String? {
        for dir in (path ?? "/usr/local/bin:/usr/bin:/bin").utf8.split(separator: UInt8(ascii: ":")) where !dir.isEmpty {
            let candidate = String(decoding: dir, as: UTF8.self) + "/" + name
            if access(candidate, X_OK) == 0 && !FileFacts.facts(candidate).isDirectory { return candidate }
        }
        return nil
    }

    /// Where docker looks for CLI plugins, in its order.
    public static func pluginFolders(environment: [String: String]) -> [String] {
        var dirs: [String] = []
        if let config = environment["DOCKER_CONFIG"], !config.isEmpty { dirs.append(FileFacts.join(config, "cli-plugins")) }
        else if let home = environment["HOME"], !home.isEmpty { dirs.append(FileFacts.join(home, ".docker/cli-plugins")) }
        return dirs + ["/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
                       "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins"]
    }

    static func isExecutableFile(_ path: String) -> Bool {
        let f = FileFacts.facts(path)
        return f.exists && !f.isDirectory && access(path, X_OK) == 0
    }

    /// This CLI with its version, asked of the CLI itself (`version --short`); nil when it does not run.
    public func withVersion(commands: CommandRunning) -> ComposeCLI? {
        guard case .success(let o) = commands.run(argv + ["version", "--short"], timeout: 10), o.status == 0 else { return nil }
        var v = o.stdout.trimmingSpaces(newlines: true)
        if v.hasPrefix("v") { v.removeFirst() }
        let major = Int(v.split(separator: ".").first ?? "") ?? generation
        return ComposeCLI(argv: argv, version: v, generation: argv == ["docker", "compose"] ? 2 : (major >= 2 ? 2 : 1))
    }

    public static func detect(environment: [String: String], commands: CommandRunning) -> ComposeCLI? {
        let path = environment["PATH"]
        if ChildProcess.resolve("docker", path: path) != nil,
           case .success(let o) = commands.run(["docker", "compose", "version", "--short"], timeout: 10), o.status == 0 {
            let v = o.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            return ComposeCLI(argv: ["docker", "compose"], version: v.hasPrefix("v") ? String(v.dropFirst()) : v, generation: 2)
        }
        if ChildProcess.resolve("docker-compose", path: path) != nil,
           case .success(let o) = commands.run(["docker-compose", "version", "--short"], timeout: 10), o.status == 0 {
            let v = o.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let major = Int(v.split(separator: ".").first ?? "1") ?? 1
            return ComposeCLI(argv: ["docker-compose"], version: v, generation: major >= 2 ? 2 : 1)
        }
        return nil
    }

    /// `<compose> -f FILE [--env-file F] [--profile P] ARGS…`
    public func command(file: String, envFile: String?, profile: String?, _ args: [String]) -> [String] {
        var a = argv + ["-f", file]
        if let envFile { a += ["--env-file", envFile] }
        if let profile { a += ["--profile", profile] }
        return a + args
    }

    /// What `config -q` says about a file: nil when compose accepts it, else its message.
    public func validate(file: String, envFile: String?, commands: CommandRunning) -> String? {
        switch commands.run(command(file: file, envFile: envFile, profile: nil, ["config", "-q"]), timeout: 30) {
        case .failure(let e): return "\(e)"
        case .success(let o) where o.status != 0:
            let text = (o.stderr + "\n" + o.stdout).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return text.suffix(3).joined(separator: " | ")
        case .success: return nil
        }
    }
}

/// Whether a Docker engine answers, at the engine the docker CLI would use (`DOCKER_HOST`,
/// `DOCKER_CONTEXT`, the current context, else the default socket: `DockerEngineAPI.endpoint`).
public enum DockerEngine {
    public enum State: Sendable, Equatable {
        case reachable(version: String)
        case noClient
        case noEngine(String)
        case denied(String)
    }

    /// What can be told without running docker: no client, a malformed address, or no socket
    /// where the engine's address (found as runtime.* find it) says one is.
    public static func precheck(environment: [String: String]) -> State? {
        guard ChildProcess.resolve("docker", path: environment["PATH"]) != nil else { return .noClient }
        let (address, from) = DockerEngineAPI.endpoint(environment: environment)
        switch address {
        case .invalid(let why): return .noEngine(why)
        case .unix(let socket) where !FileFacts.exists(socket):
            return .noEngine(from == "the default socket" ? "no \(socket) and no DOCKER_HOST" : "\(from) names \(socket), which does not exist")
        default: return nil
        }
    }

    /// A docker command that failed: refused this user, or no engine behind the socket.
    public static func classify(failure o: CommandOutput) -> State {
        let first = o.stderr.split(separator: "\n").first.map(String.init) ?? "exit \(o.status)"
        return o.stderr.lowercased().contains("permission denied") ? .denied(first) : .noEngine(first)
    }

    public static func probe(environment: [String: String], commands: CommandRunning) -> State {
        if let known = precheck(environment: environment) { return known }
        switch commands.run(["docker", "version", "--format", "{{.Server.Version}}"], timeout: 10) {
        case .failure(let e): return .noEngine("\(e)")
        case .success(let o) where o.status == 0:
            return .reachable(version: o.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        case .success(let o): return classify(failure: o)
        }
    }
}
