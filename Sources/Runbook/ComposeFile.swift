import Foundation
import SystemProbes
import Yams
import Basics

/// The parts of a docker compose file the doctor needs: services and their environment,
/// with YAML anchors and merge keys (`<<: *offline_env`) resolved by Yams.
public struct ComposeFile: Sendable {
    public struct Service: Sendable {
        public var name: String
        public var image: String?
        public var command: String
        /// Environment as a mapping; list items `K=V` are split. nil values = "pass through".
        public var environment: [String: String?]
        public var environmentStyle: EnvironmentStyle
        public var envFiles: [String]
        public var profiles: [String]
        public var containerName: String?

        /// vLLM servers and the tools that load models through vLLM.
        public var isVLLM: Bool {
            let haystack = ([name, image ?? "", command, containerName ?? ""]).joined(separator: " ").lowercased()
            return haystack.contains("vllm") || name == "convert_model"
        }
    }

    public enum EnvironmentStyle: String, Sendable { case none, mapping, list }

    public var path: String
    public var services: [Service]

    public struct ParseError: Error, CustomStringConvertible {
        public var path: String
        public var line: Int? = nil
        public var message: String
        public var description: String { "\(path)\(line.map { ":\($0)" } ?? ""): \(message)" }
    }

    public static func load(path: String) throws -> ComposeFile {
        let text: String
        do { text = try BoundedRead.strictText(path) }
        catch { throw ParseError(path: path, message: "cannot read: \(error.reason)") }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> ComposeFile {
        let root: YAMLNode?
        do { root = try SafeYAML.load(text, path: path) }
        catch let e as SafeYAML.LoadError { throw ParseError(path: path, line: e.line, message: e.message) }
        guard let doc = root?.mapping else {
            throw ParseError(path: path, message: "expected a mapping at the top (services: ...)")
        }
        guard let services = doc["services"]?.mapping else {
            throw ParseError(path: path, message: "no 'services:' mapping")
        }
        var out: [Service] = []
        for (name, value) in services.sorted(by: { $0.key < $1.key }) {
            let s = value.mapping ?? [:]
            var env: [String: String?] = [:]
            var style = EnvironmentStyle.none
            if let m = s["environment"]?.mapping {
                style = .mapping
                for (k, v) in m { env[k] = v.isNull ? nil : scalarText(v) }
            } else if let list = s["environment"]?.list {
                style = .list
                for item in list.map(scalarText) {
                    if let eq = item.firstIndex(of: "=") {
                        env[String(item[..<eq])] = String(item[item.index(after: eq)...])
                    } else {
                        env[item] = .some(nil)
                    }
                }
            }
            let command: String
            if let c = s["command"]?.list { command = c.map(scalarText).joined(separator: " ") }
            else { command = s["command"].map(scalarText) ?? "" }
            var envFiles: [String] = []
            if let f = s["env_file"]?.string { envFiles = [f] }
            else if let fs = s["env_file"]?.list {
                envFiles = fs.compactMap { $0.string ?? $0["path"]?.string }
            }
            out.append(Service(name: name, image: s["image"].map(scalarText), command: command, environment: env,
                               environmentStyle: style, envFiles: envFiles,
                               profiles: s["profiles"]?.list?.map(scalarText) ?? [],
                               containerName: s["container_name"].map(scalarText)))
        }
        return ComposeFile(path: path, services: out)
    }

    /// The image a service names, if the file can be read (nil otherwise).
    public static func image(of service: String, in path: String) -> String? {
        (try? load(path: path))?.services.first { $0.name == service }?.image
    }

    /// A YAML scalar as compose writes it into an environment (null: empty). A list or mapping,
    /// which compose refuses there, is written as the compose reader always has in its messages
    /// (`["a", 1]`, `["k": <null>]`), a mapping's keys sorted.
    public static func scalarText(_ v: YAMLNode) -> String {
        switch v {
        case .list, .mapping: printed(v)
        default: v.scalarText
        }
    }

    /// A value as an element of `scalarText`'s list or mapping: strings quoted and escaped.
    static func printed(_ v: YAMLNode) -> String {
        switch v {
        case .string(let s): s.debugDescription
        case .null: "<null>"
        case .list(let items): "[" + items.map(printed).joined(separator: ", ") + "]"
        case .mapping(let m) where m.isEmpty: "[:]"
        case .mapping(let m): "[" + m.keys.sorted().map { "\($0.debugDescription): \(printed(m[$0]!))" }.joined(separator: ", ") + "]"
        default: v.scalarText
        }
    }
}

/// `${NAME:-0}`, `${NAME-0}` or `${NAME}`: a value the caller can switch per run, off by
/// default. A true default (`${NAME:-1}`) forces offline mode on every run that does not set
/// NAME, and a default through another variable is not known here: neither counts.
public func isTogglableReference(_ value: String?, name: String) -> Bool {
    guard let v = value?.trimmingSpaces() else { return false }
    if v == "${\(name)}" { return true }
    for op in [":-", "-"] where v.hasPrefix("${\(name)\(op)") && v.hasSuffix("}") {
        let fallback = String(v.dropFirst(name.count + 2 + op.count).dropLast())
        return !fallback.contains("$") && !fallback.contains("}") && !isTruthyFlag(fallback)
    }
    return false
}
