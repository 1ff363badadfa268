import Foundation

/// A YAML document's value, typed: what a reader outside the compose code (a bench plan) walks
/// without `Any`. Made from SafeYAML's plain values once, at the boundary.
public indirect enum YAMLNode: Sendable, Equatable {
    case mapping([String: YAMLNode])
    case list([YAMLNode])
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null

    /// SafeYAML's plain values (`[String: Any]`, `[Any]`, String, Int, Double, Bool, NSNull),
    /// told apart by their exact types (`YAMLValue`); anything else, which SafeYAML never
    /// makes, is its text.
    init(plain v: Any) {
        if let s = YAMLValue.string(v) { self = .string(s) }
        else if YAMLValue.isNull(v) { self = .null }
        else if let b = YAMLValue.bool(v) { self = .bool(b) }
        else if YAMLValue.isInt(v) { self = .int(v as! Int) }
        else if YAMLValue.isDouble(v) { self = .double(v as! Double) }
        else if let m = YAMLValue.mapping(v) { self = .mapping(m.mapValues(YAMLNode.init(plain:))) }
        else if let l = YAMLValue.list(v) { self = .list(l.map(YAMLNode.init(plain:))) }
        else { self = .string("\(v)") }
    }

    public subscript(key: String) -> YAMLNode? {
        if case .mapping(let m) = self { return m[key] }
        return nil
    }
    public var mapping: [String: YAMLNode]? { if case .mapping(let m) = self { return m }; return nil }
    public var list: [YAMLNode]? { if case .list(let l) = self { return l }; return nil }
    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var int: Int? { if case .int(let i) = self { return i }; return nil }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }

    /// A scalar as compose writes it into an environment (`ComposeFile.scalarText`): null is
    /// empty, a list or mapping its flow form (`[a, 1]`, `{a: 1}`, keys sorted).
    public var scalarText: String {
        switch self {
        case .string(let s): s
        case .null: ""
        case .bool(let b): b ? "true" : "false"
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .list(let items): "[" + items.map(\.scalarText).joined(separator: ", ") + "]"
        case .mapping(let m): "{" + m.keys.sorted().map { "\($0): \(m[$0]!.scalarText)" }.joined(separator: ", ") + "}"
        }
    }
}

extension SafeYAML {
    /// The first document, typed; nil for an empty document.
    public static func loadNode(_ text: String, path: String, limits: Limits = Limits()) throws -> YAMLNode? {
        try load(text, path: path, limits: limits).map(YAMLNode.init(plain:))
    }
}

extension YAMLNode {
    /// As SafeYAML makes it (`[String: Any]`, `[Any]`, …): for readers not yet typed.
    public var plainValue: Any {
        switch self {
        case .mapping(let m): m.mapValues(\.plainValue) as [String: Any]
        case .list(let l): l.map(\.plainValue) as [Any]
        case .string(let s): s
        case .int(let i): i
        case .double(let d): d
        case .bool(let b): b
        case .null: NSNull()
        }
    }
}
