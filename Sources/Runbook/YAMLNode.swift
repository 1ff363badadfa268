/// A YAML document's value, typed: what SafeYAML makes and every reader (compose files, bench
/// plans) walks. The cases keep the distinctions compose makes: a quoted "1" is a string, 1 an
/// int, `yes` a bool, `~` null.
public indirect enum YAMLNode: Sendable, Equatable {
    case mapping([String: YAMLNode])
    case list([YAMLNode])
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null

    public subscript(key: String) -> YAMLNode? {
        if case .mapping(let m) = self { return m[key] }
        return nil
    }
    public var mapping: [String: YAMLNode]? { if case .mapping(let m) = self { return m }; return nil }
    public var list: [YAMLNode]? { if case .list(let l) = self { return l }; return nil }
    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var int: Int? { if case .int(let i) = self { return i }; return nil }
    public var double: Double? { if case .double(let d) = self { return d }; return nil }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }

    public var isMapping: Bool { mapping != nil }
    public var isList: Bool { list != nil }
    public var isString: Bool { string != nil }
    public var isInt: Bool { int != nil }
    public var isDouble: Bool { double != nil }
    public var isBool: Bool { bool != nil }
    public var isNull: Bool { self == .null }

    /// A scalar as compose writes it into an environment (as `ComposeFile.scalarText`): null is
    /// empty; a list or mapping (in a plan) its flow form (`[a, 1]`, `{a: 1}`, keys sorted).
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

    /// Words for the value's shape in messages ("must be a string, not a list").
    public var shape: String {
        switch self {
        case .mapping: "a mapping"
        case .list: "a list"
        case .null: "nothing (null)"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        }
    }
}

extension SafeYAML {
    /// The first document, typed; nil for an empty document.
    public static func loadNode(_ text: String, path: String, limits: Limits = Limits()) throws -> YAMLNode? {
        try load(text, path: path, limits: limits)
    }
}
