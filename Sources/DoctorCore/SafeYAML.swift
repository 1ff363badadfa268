import Foundation
import Yams

/// YAML from users' files (compose files, bench plans), read so that no input can crash the
/// process or make it work without bound: Yams builds the node tree (aliases share storage,
/// so this stays linear in the text), then this walk turns it into plain values, counting every
/// node it visits (an alias counts as often as it is expanded) and rejecting mapping keys that
/// are not scalars, with the file and line.
public enum SafeYAML {
    public struct Limits: Sendable {
        public var maxBytes = 4 << 20
        public var maxNodes = 200_000
        public var maxDepth = 64
        public init() {}
    }

    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var line: Int?
        public var message: String
        public var description: String { "\(path)\(line.map { ":\($0)" } ?? ""): \(message)" }
    }

    /// The first document as `[String: Any]`, `[Any]`, `String`, `Int`, `Double`, `Bool` or
    /// `NSNull`; nil for an empty document.
    public static func load(_ text: String, path: String, limits: Limits = Limits()) throws -> Any? {
        guard text.utf8.count <= limits.maxBytes else {
            throw LoadError(path: path, line: nil, message: "\(text.utf8.count) bytes: larger than the \(limits.maxBytes >> 20) MiB a compose file or plan can reasonably be")
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) }
        catch let e as YamlError { throw LoadError(path: path, line: line(of: e), message: "not valid YAML: \(summary(of: e))") }
        catch { throw LoadError(path: path, line: nil, message: "not valid YAML: \(error)") }
        guard let node else { return nil }
        var walker = Walker(path: path, limits: limits)
        return try walker.value(node, depth: 0)
    }

    struct Walker {
        let path: String
        let limits: Limits
        var visited = 0

        mutating func value(_ node: Node, depth: Int) throws -> Any {
            visited += 1
            if visited > limits.maxNodes {
                throw LoadError(path: path, line: node.mark?.line,
                                message: "more than \(limits.maxNodes) values once anchors are expanded (alias bomb?): refusing")
            }
            if depth > limits.maxDepth {
                throw LoadError(path: path, line: node.mark?.line, message: "nested deeper than \(limits.maxDepth) levels: refusing")
            }
            switch node {
            case .scalar(let s):
                switch node.tag.rawValue {
                case Tag.Name.null.rawValue: return NSNull()
                case Tag.Name.bool.rawValue: return node.bool ?? s.string
                // YAML 1.1 base-60 ints ("1:2:3") overflow inside Yams and trap (found by
                // `make fuzz`); compose (YAML 1.2) reads them as text, and so do we.
                case Tag.Name.int.rawValue: return s.string.contains(":") ? s.string : (node.int ?? s.string)
                case Tag.Name.float.rawValue: return node.float ?? s.string
                default: return s.string
                }
            case .sequence(let seq):
                var out: [Any] = []
                for item in seq { out.append(try value(item, depth: depth + 1)) }
                return out
            case .mapping(let map):
                var merged: [String: Any] = [:]
                var own: [String: Any] = [:]
                for (k, v) in map {
                    guard case .scalar(let key) = k else {
                        throw LoadError(path: path, line: k.mark?.line,
                                        message: "a mapping key must be a plain name, not a \(k.isMapping ? "mapping" : "list")")
                    }
                    if k.tag.rawValue == Tag.Name.merge.rawValue || (key.string == "<<" && key.style == .plain) {
                        // `<<: *anchor` or `<<: [*a, *b]`: earlier sources win, own keys win over all.
                        let sources: [Node]
                        switch v {
                        case .mapping: sources = [v]
                        case .sequence(let seq): sources = Array(seq)
                        default: throw LoadError(path: path, line: v.mark?.line, message: "'<<' must merge a mapping or a list of mappings")
                        }
                        for source in sources {
                            guard case .mapping = source, let m = try value(source, depth: depth + 1) as? [String: Any] else {
                                throw LoadError(path: path, line: source.mark?.line, message: "'<<' must merge a mapping or a list of mappings")
                            }
                            for (mk, mv) in m where merged[mk] == nil { merged[mk] = mv }
                        }
                        continue
                    }
                    own[key.string] = try value(v, depth: depth + 1)
                }
                for (k, v) in own { merged[k] = v }
                return merged
            case .alias:
                // Yams resolves aliases while composing; a bare alias here has nothing behind it.
                throw LoadError(path: path, line: node.mark?.line, message: "an alias with no anchor")
            }
        }
    }

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    /// Yams' messages quote the offending line; that line may hold a token, so only the
    /// problem's name is kept.
    static func summary(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): return problem
        default: return "\(error)".split(separator: "\n").first.map(String.init) ?? "syntax error"
        }
    }
}

private extension Node {
    var isMapping: Bool { if case .mapping = self { return true }; return false }
}
