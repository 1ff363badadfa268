import Foundation
import Yams
import Basics
import SystemProbes

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

    /// What must be refused before Yams sees the text, because Yams itself would hang or
    /// recurse without bound on it (both found by `make fuzz`): explicit `?` keys, whose nested
    /// complex keys Yams hashes again at every level (868 bytes took over 5 s), and flow
    /// collections nested deeper than the limit. Quoted text and comments are skipped.
    static func preflight(_ text: String, path: String, limits: Limits) throws {
        var line = 1, depth = 0
        var quote: UInt8? = nil
        var atLineStart = true, inComment = false
        var previous: UInt8 = 10      // the last byte that was not a space or tab
        var last: UInt8 = 10          // the last byte
        let valueStarts: Set<UInt8> = [10, 58, 45, 91, 123, 44, 63]   // newline : - [ { , ?
        for b in text.utf8 {
            defer { last = b; if b != 32 && b != 9 { previous = b } }
            if b == 10 { line += 1; atLineStart = true; inComment = false; continue }
            if inComment { continue }
            if let q = quote { if b == q { quote = nil }; continue }
            if atLineStart {
                if b == 32 || b == 9 || b == 45 { continue }        // indentation, "- " entries
                atLineStart = false
                if b == 63 {                                         // "?" first on a line: an explicit key
                    throw LoadError(path: path, line: line, message: "a mapping key must be a plain name ('?' explicit keys are not read)")
                }
            }
            if b == 35 && (last == 32 || last == 9 || last == 10) { inComment = true; continue }   // " #"
            // A quote opens a quoted scalar only where a value starts (not the apostrophe in "it's").
            if (b == 39 || b == 34) && valueStarts.contains(previous) { quote = b; continue }
            if b == 91 || b == 123 {                                 // [ {
                depth += 1
                if depth > limits.maxDepth {
                    throw LoadError(path: path, line: line, message: "nested deeper than \(limits.maxDepth) levels: refusing")
                }
            } else if b == 93 || b == 125 {                          // ] }
                depth = max(0, depth - 1)
            }
        }
    }

    /// The first document as `[String: Any]`, `[Any]`, `String`, `Int`, `Double`, `Bool` or
    /// `NSNull`; nil for an empty document.
    public static func load(_ text: String, path: String, limits: Limits = Limits()) throws -> Any? {
        guard text.utf8.count <= limits.maxBytes else {
            throw LoadError(path: path, line: nil, message: "\(text.utf8.count) bytes: larger than the \(limits.maxBytes >> 20) MiB a compose file or plan can reasonably be")
        }
        try preflight(text, path: path, limits: limits)
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
