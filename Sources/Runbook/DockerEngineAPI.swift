import Foundation
import SystemProbes
import Basics

/// The Docker engine's HTTP API, spoken over its socket by the project's HTTP client: no docker
/// CLI process on check's path. The engine is `DOCKER_HOST` (`unix://PATH`, or plain
/// `tcp://HOST:PORT`), else /var/run/docker.sock. Every request has a 1 s limit.
public enum DockerEngineAPI {
    public static let defaultSocket = "/var/run/docker.sock"
    public static let requestTimeout: TimeInterval = 1

    public enum Address: Sendable, Equatable {
        case unix(String)
        case tcp(host: String, port: Int)
        /// An address this client does not speak (TLS, ssh://, npipe://), and why.
        case unsupported(String)

        public var text: String {
            switch self {
            case .unix(let p): return p
            case .tcp(let h, let p): return "tcp://\(h):\(p)"
            case .unsupported(let why): return why
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
        /// An answer that is not the engine's.
        case broken(String)
    }

    public static func address(environment: [String: String]) -> Address {
        guard let host = environment["DOCKER_HOST"], !host.isEmpty else { return .unix(defaultSocket) }
        if host.hasPrefix("unix://") { return .unix(String(host.dropFirst("unix://".count))) }
        if host.hasPrefix("tcp://") || host.hasPrefix("http://") {
            if let tls = environment["DOCKER_TLS_VERIFY"], !tls.isEmpty {
                return .unsupported("DOCKER_HOST=\(host) with DOCKER_TLS_VERIFY (TLS): checked only with --deep, through the docker CLI")
            }
            let rest = host.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? ""
            let parts = rest.split(separator: ":")
            guard let h = parts.first, !h.isEmpty else { return .unsupported("DOCKER_HOST=\(host): no host") }
            let port = parts.count > 1 ? Int(parts[1]) ?? 0 : 2375
            guard (1...65535).contains(port) else { return .unsupported("DOCKER_HOST=\(host): no valid port") }
            return .tcp(host: String(h), port: port)
        }
        return .unsupported("DOCKER_HOST=\(host): only unix:// and tcp:// engines are reached without the docker CLI (--deep uses it)")
    }

    public struct Failure: Error, Sendable, Equatable { public var state: State }

    /// One GET to the engine: the body, or the state that explains why not.
    public static func get(_ path: String, environment: [String: String], timeout: TimeInterval = requestTimeout) -> Result<[UInt8], Failure> {
        exchange(path, environment: environment, timeout: timeout).map(\.body)
    }

    /// One GET to the engine: the headers (lower-case names) and the body.
    static func exchange(_ path: String, environment: [String: String], timeout: TimeInterval = requestTimeout) -> Result<(headers: [String: String], body: [UInt8]), Failure> {
        let addr = address(environment: environment)
        let explicit = environment["DOCKER_HOST"].map { !$0.isEmpty } ?? false
        let response: HTTPResponse
        switch addr {
        case .unsupported(let why): return .failure(Failure(state: .unsupported(why)))
        case .unix(let socket):
            do { response = try HTTPClient.request(unixSocket: socket, path: path, timeout: timeout) }
            catch {
                switch error {
                case .missing(let p): return .failure(Failure(state: .absent(explicit ? "DOCKER_HOST names \(p), which does not exist" : "no \(p) and no DOCKER_HOST")))
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
            catch HTTPError.timeout { return .failure(Failure(state: .timeout("GET \(path) on tcp://\(host):\(port): no answer within \(Int(timeout)) s"))) }
            catch { return .failure(Failure(state: .refused("tcp://\(host):\(port): \(error)"))) }
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
