// Reading the rest of a document's kinds, and writing one on a single line: what the readers
// of a server's replies and the writers of a request body need beside `prettyText`.
extension JSONValue {
    public var array: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    /// A number that is a whole value an `Int` holds ("12", "12.0", "1.2e1"); nil otherwise.
    public var int: Int? {
        guard case .number(let text, let value) = self else { return nil }
        return Int(text) ?? Int(exactly: value)
    }
    public var isNull: Bool { self == .null }

    /// The document on one line, without spaces (a request body, one line of a JSON-lines
    /// stream); keys and strings as `prettyText` writes them.
    public func compactText() -> String {
        var out = ""
        writeCompact(to: &out)
        return out
    }

    private func writeCompact(to out: inout String) {
        switch self {
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.writeCompact(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, key) in members.keys.map(KeyOrder.init).sorted().map(\.key).enumerated() {
                if i > 0 { out += "," }
                out += JSONValue.string(key).prettyText() + ":"
                members[key]!.writeCompact(to: &out)
            }
            out += "}"
        case .string, .number, .bool, .null:
            out += prettyText()
        }
    }
}
