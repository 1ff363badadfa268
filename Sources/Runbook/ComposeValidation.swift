import Foundation
import SystemProbes
import Basics

/// One thing compose would say about a file: an error (compose refuses the file) or a warning.
public struct ComposeFinding: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }
    public var severity: Severity
    /// "vllm_bridge/docker-compose.yml:12: services.web.ports[0]: …"
    public var text: String
    public var description: String { text }
    public init(severity: Severity, text: String) { self.severity = severity; self.text = text }
}

/// What compose itself requires of a compose file, checked in-process (no CLI, no engine): the
/// top-level shape, a non-empty services map, image or build (through extends), the shapes of
/// ports, environment, env_file, volumes, profiles, depends_on, command and the plain keys,
/// interpolation of every value against `.env` and the shell (`${VAR:?message}` included),
/// env files that exist, extends targets, declared named volumes and depends_on targets. The
/// rules are docker-compose 1.29's (the CLI Debian ships, and what the corpus test compares
/// with); `generation: 2` relaxes what compose v2 accepts (`name:`, `include:`, booleans in
/// `environment`, `env_file: [{path, required}]`). Keys compose does not know are warnings.
public enum ComposeValidation {
    /// `resolved`: the document's services already resolved (their problems, image and build are
    /// used; the caller's offline switches do not change those), else they are resolved here.
    public static func validate(_ document: ComposeDocument, interpolation: ComposeInterpolation, generation: Int = 1,
                                resolved: [ResolvedService]? = nil,
                                display: @escaping (String) -> String = { $0 }) -> [ComposeFinding] {
        var dialect = interpolation
        dialect.allowsAlternatives = generation >= 2
        dialect.strayDollarIsText = generation >= 2
        var v = Validator(document: document, interpolation: dialect, generation: generation, display: display)
        v.resolved = resolved.map { Dictionary($0.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }) }
        v.run()
        return v.findings
    }

    /// Keys of a service in the compose specification (docker-compose 1.29's schema).
    static let serviceKeys: Set<String> = [
        "blkio_config", "build", "cap_add", "cap_drop", "cgroup_parent", "command", "configs", "container_name", "cpu_count",
        "cpu_percent", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "cpus", "cpuset",
        "credential_spec", "depends_on", "deploy", "device_cgroup_rules", "devices", "dns", "dns_opt", "dns_search",
        "domainname", "entrypoint", "env_file", "environment", "expose", "extends", "external_links", "extra_hosts",
        "group_add", "healthcheck", "hostname", "image", "init", "ipc", "isolation", "labels", "links", "logging",
        "mac_address", "mem_limit", "mem_reservation", "mem_swappiness", "memswap_limit", "network_mode", "networks",
        "oom_kill_disable", "oom_score_adj", "pid", "pids_limit", "platform", "ports", "privileged", "profiles",
        "pull_policy", "read_only", "restart", "runtime", "scale", "secrets", "security_opt", "shm_size", "stdin_open",
        "stop_grace_period", "stop_signal", "storage_opt", "sysctls", "tmpfs", "tty", "ulimits", "user", "userns_mode",
        "volumes", "volumes_from", "working_dir",
    ]
    /// Keys compose v2 added to a service since (accepted when v2 is the CLI).
    static let serviceKeysV2: Set<String> = [
        "annotations", "attach", "cgroup", "develop", "gpus", "label_file", "mem_swappiness", "models", "post_start",
        "pre_stop", "provider", "stop_grace_period", "use_api_socket", "uts", "volumes_from",
    ]
    static let stringKeys: Set<String> = [
        "image", "container_name", "restart", "network_mode", "hostname", "user", "working_dir", "platform", "pull_policy",
        "stop_signal", "ipc", "pid", "domainname", "mac_address", "cgroup_parent", "runtime", "userns_mode", "isolation",
        "stop_grace_period",
    ]
    static let boolKeys: Set<String> = ["init", "privileged", "read_only", "stdin_open", "tty", "oom_kill_disable"]
    static let stringListKeys: Set<String> = [
        "profiles", "cap_add", "cap_drop", "devices", "external_links", "group_add", "security_opt", "volumes_from", "links",
        "device_cgroup_rules",
    ]

    struct Validator {
        let document: ComposeDocument
        let interpolation: ComposeInterpolation
        let generation: Int
        let display: (String) -> String
        var findings: [ComposeFinding] = []
        var resolved: [String: ResolvedService]?

        init(document: ComposeDocument, interpolation: ComposeInterpolation, generation: Int, display: @escaping (String) -> String) {
            self.document = document; self.interpolation = interpolation; self.generation = generation; self.display = display
        }

        func location(_ keyPath: String) -> String {
            var path = keyPath
            var line = document.line(path: path)
            // A value without a line of its own (a flow list item) takes its nearest parent's.
            while line == nil, let slash = path.lastIndex(of: "/") { path = String(path[..<slash]); line = document.line(path: path) }
            return "\(display(document.path)):\(line ?? 1)"
        }

        /// "services.web.ports[0]" from "services/web/ports/0".
        static func dotted(_ keyPath: String) -> String {
            var out = ""
            for part in keyPath.split(separator: "/", omittingEmptySubsequences: false) {
                if !out.isEmpty, part.allSatisfy(\.isNumber) { out += "[\(part)]" } else { out += out.isEmpty ? String(part) : ".\(part)" }
            }
            return out
        }

        mutating func error(_ keyPath: String, _ message: String) {
            findings.append(ComposeFinding(severity: .error, text: "\(location(keyPath)): \(Self.dotted(keyPath)): \(message)"))
        }
        mutating func warning(_ keyPath: String, _ message: String) {
            findings.append(ComposeFinding(severity: .warning, text: "\(location(keyPath)): \(Self.dotted(keyPath)): \(message)"))
        }

        mutating func run() {
            let root = document.root
            var topKeys: Set<String> = ["version", "services", "networks", "volumes", "secrets", "configs"]
            if generation >= 2 { topKeys.formUnion(["name", "include", "models"]) }
            for key in root.keys.sorted() where !topKeys.contains(key) && !key.hasPrefix("x-") {
                warning(key, "unknown top-level key '\(key)'\(generation < 2 && key == "name" ? " (compose v2 only: docker-compose v1 refuses the file)" : ": compose refuses the file")")
            }
            if let version = root["version"] {
                if let text = version.string {
                    if generation < 2, !(text.hasPrefix("2") || text.hasPrefix("3")) || !text.dropFirst().allSatisfy({ $0.isNumber || $0 == "." }) {
                        error("version", "version \"\(text)\" is not one compose reads (\"2.x\" or \"3.x\", or leave it out)")
                    }
                } else {
                    error("version", "must be a string (version: \"3.8\"), not \(version.shape)")
                }
            }
            // Everything compose interpolates, checked before shapes (as compose does).
            for section in ["services", "networks", "volumes", "secrets", "configs"] {
                if let value = root[section] { interpolate(value, at: section) }
            }
            guard let rawServices = root["services"] else {
                error("services", "no 'services:' mapping (each service goes under services:)")
                return
            }
            guard let services = rawServices.mapping else {
                error("services", "must be a mapping of service names, not \(rawServices.shape)")
                return
            }
            if services.isEmpty && generation < 2 { error("services", "no service defined") }
            for section in ["networks", "volumes", "secrets", "configs"] {
                if let value = root[section], !value.isMapping && !value.isNull {
                    error(section, "must be a mapping, not \(value.shape)")
                }
            }
            let declaredVolumes = Set(root["volumes"]?.mapping?.keys.map { $0 } ?? [])
            let resolver = ComposeEnvironmentResolver(interpolation: interpolation, dialect: DotEnvDialect(generation: generation), display: display)
            for name in services.keys.sorted() {
                let at = "services/\(name)"
                if name.isEmpty || !name.unicodeScalars.allSatisfy({ $0.isASCIIAlphanumeric || $0 == "." || $0 == "_" || $0 == "-" }) {
                    error(at, "invalid service name '\(name)' (letters, digits, '.', '_' and '-' only)")
                }
                guard let service = services[name]?.mapping else {
                    let value = services[name]!
                    error(at, value.isNull ? "the service has no configuration (expected a mapping with image: or build:)"
                                              : "must be a mapping, not \(value.shape)")
                    continue
                }
                checkService(name, service, at: at, allServices: services, declaredVolumes: declaredVolumes)
                let resolved = self.resolved?[name] ?? resolver.resolve(service: name, in: document)
                var seen = Set<String>()
                for problem in resolved.problems where seen.insert(problem).inserted {
                    findings.append(ComposeFinding(severity: .error, text: problem))
                }
                if resolved.image == nil && !resolved.hasBuild && resolved.problems.isEmpty {
                    error(at, "neither image: nor build: (compose needs one of them)")
                }
            }
            checkDependencies(services)
        }

        /// The services a service needs started first: depends_on, links and
        /// `network_mode: service:X` (both compose versions order by these).
        func dependencies(of service: [String: YAMLNode]) -> [(name: String, key: String)] {
            var out: [(String, String)] = []
            if let list = service["depends_on"]?.list { out += list.compactMap(\.string).map { ($0, "depends_on") } }
            else if let m = service["depends_on"]?.mapping { out += m.keys.sorted().map { ($0, "depends_on") } }
            for link in service["links"]?.list?.compactMap(\.string) ?? [] {
                out.append((String(link.prefix { $0 != ":" }), "links"))
            }
            if let mode = networkModeService(service) { out.append((mode, "network_mode")) }
            return out
        }

        /// X of `network_mode: service:X`, interpolated.
        func networkModeService(_ service: [String: YAMLNode]) -> String? {
            guard let raw = service["network_mode"]?.string else { return nil }
            let mode = (try? interpolation.interpolate(raw).value) ?? raw
            return mode.hasPrefix("service:") ? String(mode.dropFirst("service:".count)) : nil
        }

        /// `network_mode: service:X` naming no service, and a cycle among the services' start
        /// order (compose cannot start any of them), found in one depth-first walk.
        mutating func checkDependencies(_ services: [String: YAMLNode]) {
            let names = services.keys.sorted()
            var edges: [String: [String]] = [:]
            for name in names {
                guard let service = services[name]?.mapping else { continue }
                if let target = networkModeService(service), services[target] == nil {
                    error("services/\(name)/network_mode", "network_mode service:\(target) names no service of this file (services: \(names.joined(separator: ", ")))")
                }
                edges[name] = dependencies(of: service).map(\.name).filter { services[$0] != nil }
            }
            // 0 unvisited, 1 on the current path, 2 done; the path is kept to name the cycle.
            var state: [String: Int] = [:]
            for root in names where state[root] == nil {
                var stack: [(name: String, next: Int)] = [(root, 0)]
                state[root] = 1
                while let top = stack.last {
                    let targets = edges[top.name] ?? []
                    guard top.next < targets.count else { state[top.name] = 2; stack.removeLast(); continue }
                    stack[stack.count - 1].next += 1
                    let target = targets[top.next]
                    switch state[target] ?? 0 {
                    case 0: state[target] = 1; stack.append((target, 0))
                    case 1:
                        let from = stack.firstIndex { $0.name == target } ?? 0
                        let cycle = stack[from...].map(\.name) + [target]
                        error("services/\(target)", "dependency cycle: \(cycle.joined(separator: " → ")) (depends_on, links or network_mode service:): compose cannot start any of them")
                        return
                    default: break
                    }
                }
            }
        }

        /// Interpolates every string under a value, as compose does, reporting each failure
        /// where it is written.
        mutating func interpolate(_ value: YAMLNode, at keyPath: String) {
            var path = [keyPath]
            interpolate(value, path: &path)
        }

        /// The path is joined only for a failure: the walk visits every value of the file.
        mutating func interpolate(_ value: YAMLNode, path: inout [String]) {
            if let s = value.string {
                guard s.utf8.contains(36) else { return }
                do { _ = try interpolation.interpolate(s) }
                catch { self.error(path.joined(separator: "/"), "\(error)") }
            } else if let m = value.mapping {
                for (k, v) in m.sorted(by: { $0.key < $1.key }) where !v.isInt && !v.isBool && !v.isNull {
                    path.append(k); interpolate(v, path: &path); path.removeLast()
                }
            } else if let list = value.list {
                for (i, v) in list.enumerated() where v.string.map({ $0.utf8.contains(36) }) ?? !v.isInt {
                    path.append(String(i)); interpolate(v, path: &path); path.removeLast()
                }
            }
        }

        mutating func checkService(_ name: String, _ service: [String: YAMLNode], at: String, allServices: [String: YAMLNode], declaredVolumes: Set<String>) {
            for key in service.keys.sorted() where !key.hasPrefix("x-") {
                if ComposeValidation.serviceKeys.contains(key) || (generation >= 2 && ComposeValidation.serviceKeysV2.contains(key)) { continue }
                warning("\(at)/\(key)", "unknown key '\(key)': compose refuses the file (a typo?)")
            }
            for (key, value) in service.sorted(by: { $0.key < $1.key }) {
                if ComposeValidation.stringKeys.contains(key) && !value.isString {
                    error("\(at)/\(key)", "must be a string, not \(value.shape)")
                } else if ComposeValidation.boolKeys.contains(key) && !value.isBool {
                    error("\(at)/\(key)", "must be true or false, not \(value.shape)")
                } else if ComposeValidation.stringListKeys.contains(key) {
                    checkStringList(value, at: "\(at)/\(key)")
                }
            }
            if let command = service["command"] { checkCommand(command, at: "\(at)/command") }
            if let entrypoint = service["entrypoint"] { checkCommand(entrypoint, at: "\(at)/entrypoint") }
            if let build = service["build"], !build.isString, !build.isMapping {
                error("\(at)/build", "must be a folder (a string) or a mapping (context:, dockerfile:), not \(build.shape)")
            }
            if let extends = service["extends"] {
                checkExtends(extends, at: "\(at)/extends")
                // docker-compose v1 refuses to extend a service with depends_on (v2 allows it).
                let base = extends.string ?? (extends["file"] == nil ? extends["service"]?.string : nil)
                if generation < 2, let base, let baseService = allServices[base]?.mapping, baseService["depends_on"] != nil {
                    error("\(at)/extends", "extends '\(base)', which has depends_on: docker-compose v1 cannot extend such a service (move depends_on to '\(name)')")
                }
            }
            if let environment = service["environment"] { checkEnvironment(environment, at: "\(at)/environment") }
            if let envFile = service["env_file"] { checkEnvFile(envFile, at: "\(at)/env_file") }
            if let ports = service["ports"] { checkPorts(ports, at: "\(at)/ports") }
            if let volumes = service["volumes"] { checkVolumes(volumes, service: name, at: "\(at)/volumes", declared: declaredVolumes) }
            if let dependsOn = service["depends_on"] { checkDependsOn(dependsOn, service: name, at: "\(at)/depends_on", services: allServices) }
        }

        mutating func checkStringList(_ value: YAMLNode, at path: String) {
            guard let list = value.list else { error(path, "must be a list of strings, not \(value.shape)"); return }
            for (i, item) in list.enumerated() where !item.isString {
                error("\(path)/\(i)", "must be a string, not \(item.shape)")
            }
            let texts = list.compactMap(\.string)
            if Set(texts).count != texts.count { error(path, "has duplicate items") }
        }

        mutating func checkCommand(_ value: YAMLNode, at path: String) {
            if value.isString { return }
            guard let list = value.list else {
                error(path, "must be a string or a list of strings, not \(value.shape)"); return
            }
            for (i, item) in list.enumerated() where !item.isString {
                error("\(path)/\(i)", "must be a string (quote it: \"\(ComposeFile.scalarText(item))\"), not \(item.shape)")
            }
        }

        mutating func checkExtends(_ value: YAMLNode, at path: String) {
            if value.isString { return }
            guard let m = value.mapping else {
                error(path, "must be a service name or a mapping (service:, file:), not \(value.shape)"); return
            }
            if m["service"]?.isString != true { error(path, "needs service: (the service to extend)") }
            for key in m.keys.sorted() where key != "service" && key != "file" { error("\(path)/\(key)", "unknown key '\(key)' (service: and file: only)") }
            if let file = m["file"], !file.isString { error("\(path)/file", "must be a string") }
        }

        mutating func checkEnvironment(_ value: YAMLNode, at path: String) {
            if let m = value.mapping {
                for (k, v) in m.sorted(by: { $0.key < $1.key }) {
                    let ok = v.isString || v.isInt || v.isDouble || v.isNull || (generation >= 2 && v.isBool)
                    if !ok {
                        error("\(path)/\(k)", v.isBool ? "true/false must be quoted (\"true\"): docker-compose v1 refuses a boolean here"
                                                         : "must be a string, a number or empty, not \(v.shape)")
                    }
                }
            } else if let list = value.list {
                for (i, item) in list.enumerated() {
                    guard let s = item.string else { error("\(path)/\(i)", "must be a string NAME=value, not \(item.shape)"); continue }
                    // Split after interpolation, as compose does (`- ${NAME}=1`).
                    let whole = (try? interpolation.interpolate(s).value) ?? s
                    let key = whole.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? whole
                    if key.contains(where: { $0 == " " || $0 == "\t" }) { error("\(path)/\(i)", "the variable name '\(key)' has a space") }
                }
                let texts = list.compactMap(\.string)
                if Set(texts).count != texts.count && generation < 2 { error(path, "has duplicate items") }
            } else {
                error(path, "must be a mapping (NAME: value) or a list (- NAME=value), not \(value.shape)")
            }
        }

        mutating func checkEnvFile(_ value: YAMLNode, at path: String) {
            if value.isString { return }
            guard let list = value.list else {
                error(path, "must be a path or a list of paths, not \(value.shape)"); return
            }
            for (i, item) in list.enumerated() {
                if item.isString { continue }
                if generation >= 2, item["path"]?.isString == true { continue }
                error("\(path)/\(i)", generation >= 2 ? "must be a path or a mapping (path:, required:), not \(item.shape)"
                                                       : "must be a path (a string), not \(item.shape)")
            }
        }

        mutating func checkPorts(_ value: YAMLNode, at path: String) {
            guard let list = value.list else { error(path, "must be a list, not \(value.shape)"); return }
            for (i, item) in list.enumerated() {
                let itemPath = "\(path)/\(i)"
                if let port = item.int {
                    if let why = PortSpec.problem(String(port)) { error(itemPath, why) }
                } else if let s = item.string {
                    if let spec = try? interpolation.interpolate(s).value, let why = PortSpec.problem(spec) { error(itemPath, why) }
                } else if let m = item.mapping {
                    for key in m.keys.sorted() where !["mode", "target", "published", "protocol", "host_ip", "app_protocol", "name"].contains(key) {
                        error("\(itemPath)/\(key)", "unknown key '\(key)' (target:, published:, protocol:, mode:)")
                    }
                    if let t = m["target"], !t.isInt { error("\(itemPath)/target", "must be a port number") }
                } else {
                    error(itemPath, "must be a port (\"8001:8001\"), a number or a mapping, not \(item.shape)")
                }
            }
        }

        mutating func checkVolumes(_ value: YAMLNode, service: String, at path: String, declared: Set<String>) {
            guard let list = value.list else { error(path, "must be a list, not \(value.shape)"); return }
            for (i, item) in list.enumerated() {
                let itemPath = "\(path)/\(i)"
                if let s = item.string {
                    // One that cannot be interpolated is already named once.
                    guard let spec = try? interpolation.interpolate(s).value else { continue }
                    let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
                    guard parts.count >= 2 else { continue }       // an anonymous volume: /data
                    let source = String(parts[0])
                    if !source.isEmpty && !source.hasPrefix("/") && !source.hasPrefix(".") && !source.hasPrefix("~") && !declared.contains(source) {
                        error(itemPath, "named volume '\(source)' is not declared under the top-level volumes: (a host folder needs a path: ./\(source) or /\(source))")
                    }
                } else if let m = item.mapping {
                    if m["type"]?.isString != true { error(itemPath, "needs type: (bind, volume, tmpfs)") }
                } else {
                    error(itemPath, "must be SOURCE:TARGET[:MODE] or a mapping, not \(item.shape)")
                }
            }
        }

        mutating func checkDependsOn(_ value: YAMLNode, service: String, at path: String, services: [String: YAMLNode]) {
            var names: [(String, String)] = []
            if let list = value.list {
                for (i, item) in list.enumerated() {
                    guard let s = item.string else { error("\(path)/\(i)", "must be a service name, not \(item.shape)"); continue }
                    names.append((s, "\(path)/\(i)"))
                }
                let texts = names.map(\.0)
                if Set(texts).count != texts.count { error(path, "has duplicate items") }
            } else if let m = value.mapping {
                for (k, v) in m.sorted(by: { $0.key < $1.key }) {
                    names.append((k, "\(path)/\(k)"))
                    guard let options = v.mapping else { error("\(path)/\(k)", "must be a mapping (condition: service_started)"); continue }
                    if let c = options["condition"]?.string,
                       !["service_started", "service_healthy", "service_completed_successfully"].contains(c) {
                        error("\(path)/\(k)/condition", "'\(c)' is not a condition (service_started, service_healthy, service_completed_successfully)")
                    }
                }
            } else {
                error(path, "must be a list of services or a mapping, not \(value.shape)"); return
            }
            for (name, at) in names where services[name] == nil {
                error(at, "service '\(service)' depends on '\(name)', which is not defined")
            }
        }
    }
}

/// A published port as compose parses it: `[[HOST_IP:][HOST_PORT[-END]]:]PORT[-END][/tcp|udp|sctp]`,
/// ranges of equal length.
enum PortSpec {
    static func problem(_ text: String) -> String? {
        let bad = "'\(text)' is not a port (expected [[IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL], as \"8001:8001\")"
        var rest = Substring(text)
        if let slash = rest.lastIndex(of: "/") {
            guard ["udp", "tcp", "sctp"].contains(rest[rest.index(after: slash)...]) else { return bad }
            rest = rest[..<slash]
        }
        // The container part: after the last ':'.
        let container: Substring
        var external: Substring? = nil
        if let colon = rest.lastIndex(of: ":") {
            container = rest[rest.index(after: colon)...]
            var head = rest[..<colon]
            // An optional address before the host port: [addr]: or addr: (hex digits, '.', ':').
            if let c = head.lastIndex(of: ":") {
                var address = head[..<c]
                if address.hasPrefix("[") { address = address.dropFirst() }
                if address.hasSuffix("]") { address = address.dropLast() }
                guard !address.isEmpty, address.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) else { return bad }
                head = head[head.index(after: c)...]
            }
            external = head
        } else {
            container = rest
        }
        guard let inner = range(container), !inner.isEmpty else { return bad }
        if let external, !external.isEmpty {
            guard let outer = range(external) else { return bad }
            if inner.count != 1 && outer.count != inner.count { return "'\(text)': port ranges differ in length" }
        }
        return nil
    }

    /// `N` or `N-M` as a count of ports; nil when not digits.
    static func range(_ s: Substring) -> [Int]? {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigitCharacter) }),
              let a = Int(parts[0].prefix(9)) else { return nil }
        let b = parts.count == 2 ? Int(parts[1].prefix(9)) ?? a : a
        return b >= a && b - a < 65536 ? Array(a...b) : []
    }
}

private extension Character {
    var isASCIIDigitCharacter: Bool { asciiValue.map { $0 >= 48 && $0 <= 57 } ?? false }
}
