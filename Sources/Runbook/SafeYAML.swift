import Foundation
import Yams
import Basics
import SystemProbes

/// YAML from users' files (compose files, bench plans), read so that no input can crash the
/// process or make it work without bound: Yams builds the node tree (aliases share storage,
/// so this stays linear in the text), then this walk turns it into `YAMLNode`s, counting every
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

    /// The first document; nil for an empty document.
    public static func load(_ text: String, path: String, limits: Limits = Limits()) throws -> YAMLNode? {
        try loadLocated(text, path: path, limits: limits, recordLines: false).value
    }

    /// As `load`, with the line of every value: keys are paths of mapping keys and list
    /// indexes joined by "/" ("services/vllm_baseline/environment/HF_HUB_OFFLINE",
    /// "services/x/env_file/0"). A value merged in by `<<: *anchor` has the line where the
    /// anchor's text is written.
    public static func loadLocated(_ text: String, path: String, limits: Limits = Limits()) throws -> (value: YAMLNode?, lines: [String: Int]) {
        try loadLocated(text, path: path, limits: limits, recordLines: true)
    }

    static func loadLocated(_ text: String, path: String, limits: Limits, recordLines: Bool) throws -> (value: YAMLNode?, lines: [String: Int]) {
        guard text.utf8.count <= limits.maxBytes else {
            throw LoadError(path: path, line: nil, message: "\(text.utf8.count) bytes: larger than the \(limits.maxBytes >> 20) MiB a compose file or plan can reasonably be")
        }
        try preflight(text, path: path, limits: limits)
        let node: Node?
        // No regex resolver: Yams' default matches every plain scalar against up to seven
        // NSRegularExpressions (ICU), which cost more than the rest of a check; the walk below
        // resolves plain scalars by hand with the same YAML 1.1 rules (`ImplicitTag`).
        // UTF-8 named, not `.default`: that reads the whole process environment through
        // ProcessInfo on every call (4% of a check) to look for YAMS_DEFAULT_ENCODING.
        do { node = try Yams.compose(yaml: text, Resolver.basic, .default, .utf8) }
        catch let e as YamlError { throw LoadError(path: path, line: line(of: e), message: "not valid YAML: \(summary(of: e))") }
        catch { throw LoadError(path: path, line: nil, message: "not valid YAML: \(error)") }
        guard let node else { return (nil, [:]) }
        var walker = Walker(path: path, limits: limits, recordLines: recordLines)
        let value = try walker.value(node, depth: 0, at: "")
        return (value, walker.lines)
    }

    struct Walker {
        let path: String
        let limits: Limits
        var recordLines = false
        var visited = 0
        var lines: [String: Int] = [:]

        init(path: String, limits: Limits, recordLines: Bool = false) {
            self.path = path; self.limits = limits; self.recordLines = recordLines
        }

        /// Where no line is recorded: the top-level `x-` sections, whose values are walked (and
        /// recorded) again where an alias or a merge key brings them in.
        static let unrecorded = "\u{0}"
        static func child(_ at: String, _ key: String) -> String {
            if at == unrecorded { return unrecorded }
            if at.isEmpty { return key.hasPrefix("x-") ? unrecorded : key }
            return at + "/" + key
        }

        mutating func value(_ node: Node, depth: Int, at: String) throws -> YAMLNode {
            visited += 1
            if recordLines, !at.isEmpty, at != Self.unrecorded, let line = node.mark?.line { lines[at] = line }
            if visited > limits.maxNodes {
                throw LoadError(path: path, line: node.mark?.line,
                                message: "more than \(limits.maxNodes) values once anchors are expanded (alias bomb?): refusing")
            }
            if depth > limits.maxDepth {
                throw LoadError(path: path, line: node.mark?.line, message: "nested deeper than \(limits.maxDepth) levels: refusing")
            }
            switch node {
            case .scalar(let s):
                // An implicit tag is still empty here (Yams resolves it on first use): a plain
                // scalar gets ImplicitTag's rules; a quoted one is a string; an explicit tag stays.
                let written = s.tag.description
                let tag = written.isEmpty ? (s.style == .plain ? ImplicitTag.resolve(s.string) : Tag.Name.str) : Tag.Name(rawValue: written)
                switch tag {
                case .null: return .null
                case .bool: return Bool.construct(from: s).map(YAMLNode.bool) ?? .string(s.string)
                // YAML 1.1 base-60 ints ("1:2:3") overflow inside Yams and trap (found by
                // `make fuzz`); compose (YAML 1.2) reads them as text, and so do we.
                case .int: if !s.string.contains(":"), let i = Int.construct(from: s) { return .int(i) }; return .string(s.string)
                case .float: return Double.construct(from: s).map(YAMLNode.double) ?? .string(s.string)
                default: return .string(s.string)
                }
            case .sequence(let seq):
                var out: [YAMLNode] = []
                for item in seq {
                    out.append(try value(item, depth: depth + 1, at: recordLines ? Self.child(at, String(out.count)) : ""))
                }
                return .list(out)
            case .mapping(let map):
                var merged: [String: YAMLNode] = [:]
                var own: [String: YAMLNode] = [:]
                var mergedLines: [String: Int] = [:]
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
                            // The source's lines are gathered apart (the first source that has a
                            // key gives its line, as it gives its value), then the mapping's own.
                            let saved = lines
                            lines = [:]
                            guard case .mapping = source, let m = try value(source, depth: depth + 1, at: at).mapping else {
                                throw LoadError(path: path, line: source.mark?.line, message: "'<<' must merge a mapping or a list of mappings")
                            }
                            for (k, line) in lines where k != at && mergedLines[k] == nil { mergedLines[k] = line }
                            lines = saved
                            for (mk, mv) in m where merged[mk] == nil { merged[mk] = mv }
                        }
                        continue
                    }
                    let childAt = recordLines ? Self.child(at, key.string) : ""
                    own[key.string] = try value(v, depth: depth + 1, at: childAt)
                    // A key's line, not its value's: a block mapping or list starts a line below.
                    if recordLines, childAt != Self.unrecorded, let line = k.mark?.line { lines[childAt] = line }
                }
                for (k, v) in own { merged[k] = v }
                if recordLines {
                    // A key of the mapping's own wins over a merged one, and so does its line
                    // (and the lines below it).
                    let skip = at.isEmpty ? 0 : at.count + 1
                    for (k, line) in mergedLines where lines[k] == nil && own[String(k.dropFirst(skip).prefix { $0 != "/" })] == nil {
                        lines[k] = line
                    }
                }
                return .mapping(merged)
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
