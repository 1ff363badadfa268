import Foundation
import SystemProbes
import Basics

/// The Docker engine's HTTP API, spoken over its socket by the project's HTTP client: no docker
/// CLI process on check's path. The engine is `DOCKER_HOST` (`unix://PATH`, or plain
/// `tcp://HOST:PORT`), else `DOCKER_CONTEXT` or the current context, else /var/run/docker.sock. Every request has a 1 s limit.
public enum DockerEngineAPI {
    public static let defaultSocket = "/var/run/docker.sock"
    public static let requestTimeout: TimeInterval = 1

    public enum Address: Sendable, Equatable {
        case unix(String)
        case tcp(host: String, port: Int)
        /// An address this client does not speak (TLS, ssh://, npipe://), and why.
        case unsupported(String)
        /// A DOCKER_HOST or context that the docker CLI would refuse too, and what was expected.
        case invalid(String)

        public var text: String {
            switch self {
            case .unix(let p): return p
            case .tcp(let h, let p): return h.contains(":") ? "tcp://[\(h)]:\(p)" : "tcp://\(h):\(p)"
            case .unsupported(let why), .invalid(let why): return why
            }
        }
    }

    public enum State: Sendable, Equatable {
        case reachable(version: String, apiVersion: String)
        /// No socket at the address and no DOCKER_HOST: no engine on this host (or not started).
        case absent(String)
        case notASocket(String)
        /// A socket that nothing accepts on (an engine that stopped), or a TCP port that refuses.
        case refused(String)
        case denied(String)
        /// Accepted, then no answer within the limit.
        case timeout(String)
        case unsupported(String)
        /// The address itself is malformed (DOCKER_HOST, DOCKER_CONTEXT, the current context).
        case invalid(String)
        /// An answer that is not the engine's.
        case broken(String)
    }

    public static func address(environment: [String: String]) -> Address { endpoint(environment: environment).address }

    /// The engine the docker CLI would talk to, with the docker CLI's precedence: `DOCKER_HOST`,
    /// then `DOCKER_CONTEXT`, then the `currentContext` of `$DOCKER_CONFIG/config.json` (or
    /// ~/.docker/config.json), then the default socket; `from` says which, for evidence. A
    /// context is read from contexts/meta/<sha256 of its name>/meta.json (its docker Host).
    public static func endpoint(environment: [String: String]) -> (address: Address, from: String) {
        if let host = environment["DOCKER_HOST"], !host.isEmpty {
            return (parse(host, variable: "DOCKER_HOST", tls: environment["DOCKER_TLS_VERIFY"].map { !$0.isEmpty } ?? false), "DOCKER_HOST")
        }
        let configDir = environment["DOCKER_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["HOME"].map { FileFacts.join($0, ".docker") } ?? "/root/.docker"
        let name: String
        let from: String
        if let context = environment["DOCKER_CONTEXT"], !context.isEmpty {
            name = context; from = "DOCKER_CONTEXT=\(context)"
        } else {
            let configPath = FileFacts.join(configDir, "config.json")
            guard let text = FileFacts.readSmall(configPath, limit: 1 << 20) else { return (.unix(defaultSocket), "the default socket") }
            guard let json = try? JSONLite.parse(Array(text.utf8)) else {
                return (.invalid("\(configPath): not JSON (expected the docker CLI's config, {\"currentContext\": NAME, …})"), configPath)
            }
            guard let current = json["currentContext"]?.string, !current.isEmpty else { return (.unix(defaultSocket), "the default socket") }
            name = current; from = "currentContext \(current) in \(configPath)"
        }
        if name == "default" { return (.unix(defaultSocket), "\(from) (the default socket)") }
        let meta = FileFacts.join(configDir, "contexts/meta/\(SHA256Digest.hex(name))/meta.json")
        guard let text = FileFacts.readSmall(meta, limit: 1 << 20) else {
            return (.invalid("\(from): no context of that name (no \(meta); `docker context ls` lists them)"), from)
        }
        guard let json = try? JSONLite.parse(Array(text.utf8)), let host = json["Endpoints"]?["docker"]?["Host"]?.string, !host.isEmpty else {
            return (.invalid("\(meta): no Endpoints.docker.Host (expected the docker CLI's context metadata)"), from)
        }
        let tls = FileFacts.exists(FileFacts.join(configDir, "contexts/tls/\(SHA256Digest.hex(name))/docker"))
        return (parse(host, variable: "\(from): Host", tls: tls), "\(from) (\(host))")
    }

    /// `unix:///path`, `tcp://HOST[:PORT]` / `http://…` (an IPv6 address in brackets), else
    /// unsupported; one clear line naming `variable` when the text is malformed.
    static func parse(_ host: String, variable: String, tls: Bool) -> Address {
        if host.hasPrefix("unix://") {
            let path = String(host.dropFirst("unix://".count))
            guard !path.isEmpty else { return .invalid("\(variable)=unix:// names no socket (expected unix:///path/to/docker.sock)") }
            guard path.hasPrefix("/") else { return .invalid("\(variable)=\(host): the socket path is not absolute (expected unix:///path/to/docker.sock)") }
            return .unix(path)
        }
        guard host.hasPrefix("tcp://") || host.hasPrefix("http://") else {
            return .unsupported("\(variable)=\(host): only unix:// and tcp:// engines are reached without the docker CLI (--deep uses it)")
        }
        if tls { return .unsupported("\(variable)=\(host) with TLS: checked only with --deep, through the docker CLI") }
        let expected = "expected tcp://HOST:PORT, a port 1-65535, an IPv6 address in brackets (tcp://[::1]:2375)"
        let afterScheme = host.drop { $0 != "/" }.dropFirst(2)
        let authority = afterScheme.prefix { $0 != "/" }
        var hostPart: Substring
        var portPart: Substring? = nil
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return .invalid("\(variable)=\(host): no closing ']' (\(expected))") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return .invalid("\(variable)=\(host): text after ']' (\(expected))") }
                portPart = rest.dropFirst()
            }
        } else {
            let colons = authority.filter { $0 == ":" }.count
            guard colons <= 1 else { return .invalid("\(variable)=\(host): an IPv6 address needs brackets (\(expected))") }
            if let colon = authority.firstIndex(of: ":") { hostPart = authority[..<colon]; portPart = authority[authority.index(after: colon)...] }
            else { hostPart = authority }
        }
        guard !hostPart.isEmpty else { return .invalid("\(variable)=\(host): no host (\(expected))") }
        var port = 2375
        if let portPart {
            guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy({ $0.isASCII && $0.isNumber }), let p = Int(portPart), (1...65535).contains(p) else {
                return .invalid("\(variable)=\(host): no valid port (\(expected))")
            }
            port = p
        }
        return .tcp(host: String(hostPart), port: port)
    }

    public struct Failure: Error, Sendable, Equatable { public var state: State }

    /// One GET to the engine: the body, or the state that explains why not.
    public static func get(_ path: String, environment: [String: String], timeout: TimeInterval = requestTimeout) -> Result<[UInt8], Failure> {
        exchange(path, environment: environment, timeout: timeout).map(\.body)
    }

    /// One GET to the engine: the headers (lower-case names) and the body.
    static func exchange(_ path: String, environment: [String: String], timeout: TimeInterval = requestTimeout) -> Result<(headers: [String: String], body: [UInt8]), Failure> {
        let (addr, from) = endpoint(environment: environment)
        let explicit = from != "the default socket"
        let response: HTTPResponse
        switch addr {
        case .unsupported(let why): return .failure(Failure(state: .unsupported(why)))
        case .invalid(let why): return .failure(Failure(state: .invalid(why)))
        case .unix(let socket):
            do { response = try HTTPClient.request(unixSocket: socket, path: path, timeout: timeout) }
            catch {
                switch error {
                case .missing(let p): return .failure(Failure(state: .absent(explicit ? "\(from) names \(p), which does not exist" : "no \(p) and no DOCKER_HOST")))
                case .notASocket(let p): return .failure(Failure(state: .notASocket(p)))
                case .permissionDenied(let p): return .failure(Failure(state: .denied("permission denied on \(p)")))
                case .refused(let p): return .failure(Failure(state: .refused("\(p) exists but nothing accepts on it (a stopped engine?)")))
                // The query string (a percent-encoded filter) says nothing to a reader.
                case .timeout(let s):
                    let shown = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
                    return .failure(Failure(state: .timeout(s.replacingEvery(path, with: shown))))
                case .other(let s): return .failure(Failure(state: .broken(s)))
                }
            }
        case .tcp(let host, let port):
            do { response = try HTTPClient.get(HTTPEndpoint(host: host, port: port), path, timeout: timeout) }
            catch HTTPError.timeout { return .failure(Failure(state: .timeout("GET \(path) on \(addr.text): no answer within \(Int(timeout)) s"))) }
            catch { return .failure(Failure(state: .refused("\(addr.text): \(error)"))) }
        }
        guard response.status == 200 else {
            let text = String(decoding: response.body.prefix(200), as: UTF8.self).trimmingSpaces(newlines: true)
            return .failure(Failure(state: .broken("GET \(path): HTTP \(response.status)\(text.isEmpty ? "" : ": \(text)")")))
        }
        return .success((response.headers, [UInt8](response.body)))
    }

    /// `/_ping`: whether an engine answers, and its version from the answer's `Server` and
    /// `Api-Version` headers. `/version` is asked only when those are missing (or with
    /// `deepVersion`): the engine takes 7-10 ms to answer it (it asks containerd and runc),
    /// three times what the whole check may cost.
    public static func probe(environment: [String: String], deepVersion: Bool = false) -> State {
        let ping: [String: String]
        switch exchange("/_ping", environment: environment) {
        case .failure(let f): return f.state
        case .success(let (headers, body)):
            guard String(decoding: body, as: UTF8.self).trimmingSpaces(newlines: true) == "OK" else {
                return .broken("GET /_ping did not answer OK: not a Docker engine?")
            }
            ping = headers
        }
        // "Docker/20.10.24+dfsg1 (linux)"
        if !deepVersion, let server = ping["server"], server.hasPrefix("Docker/") {
            let version = server.dropFirst("Docker/".count).prefix { $0 != " " }
            if !version.isEmpty { return .reachable(version: String(version), apiVersion: ping["api-version"] ?? "?") }
        }
        switch get("/version", environment: environment) {
        case .failure(let f): return f.state
        case .success(let body):
            guard let json = try? JSONLite.parse(body), let version = json["Version"]?.string else {
                return .broken("GET /version: no Version in the answer")
            }
            return .reachable(version: version, apiVersion: json["ApiVersion"]?.string ?? "?")
        }
    }

    public struct Container: Sendable, Equatable {
        public var name: String
        /// created, running, restarting, exited, paused, dead
        public var state: String
        /// "Up 3 seconds", "Restarting (1) 2 seconds ago", as `docker ps` prints it.
        public var status: String
    }

    /// The engine's state and the named containers from one request: every answer of the
    /// engine carries its version in the `Server` and `Api-Version` headers, so the list of
    /// containers says both (one round trip for runtime.compose and runtime.containers).
    /// Without those headers (not dockerd?), `/_ping` is asked to say what answers.
    public static func snapshot(containers names: [String], environment: [String: String]) -> (state: State, containers: Result<[Container], Failure>) {
        let answer = exchange(containersPath(names), environment: environment)
        switch answer {
        case .failure(let f):
            return (f.state, .failure(f))
        case .success(let (headers, body)):
            let listed = parseContainers(body, names: names)
            guard let server = headers["server"], server.hasPrefix("Docker/"),
                  case let version = server.dropFirst("Docker/".count).prefix(while: { $0 != " " }), !version.isEmpty else {
                return (probe(environment: environment), listed)
            }
            return (.reachable(version: String(version), apiVersion: headers["api-version"] ?? "?"), listed)
        }
    }

    /// Containers (running or not) with exactly these names.
    public static func containers(named names: [String], environment: [String: String]) -> Result<[Container], Failure> {
        get(containersPath(names), environment: environment).flatMap { parseContainers($0, names: names) }
    }

    static func containersPath(_ names: [String]) -> String {
        // filters={"name":["a","b"]}, percent-encoded: the engine matches names as patterns,
        // so the answer is narrowed to exact names here.
        let filter = "{\"name\":[" + names.map { "\"\($0)\"" }.joined(separator: ",") + "]}"
        var encoded = ""
        for b in filter.utf8 {
            let plain = (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95 || b == 45 || b == 46
            encoded += plain ? String(UnicodeScalar(b)) : "%" + String(b, radix: 16, uppercase: true).paddedLeft(2)
        }
        return "/containers/json?all=1&filters=\(encoded)"
    }

    static func parseContainers(_ body: [UInt8], names: [String]) -> Result<[Container], Failure> {
        guard let json = try? JSONLite.parse(body), case .array(let items) = json else {
            return .failure(Failure(state: .broken("GET /containers/json: not a list")))
        }
        var out: [Container] = []
        for item in items {
            guard case .array(let itemNames)? = item["Names"] else { continue }
            for n in itemNames.compactMap(\.string) {
                let name = n.hasPrefix("/") ? String(n.dropFirst()) : n
                if names.contains(name) {
                    out.append(Container(name: name, state: item["State"]?.string ?? "", status: item["Status"]?.string ?? ""))
                }
            }
        }
        return .success(out.sorted { names.firstIndex(of: $0.name)! < names.firstIndex(of: $1.name)! })
    }
}


private extension String {
    func paddedLeft(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
