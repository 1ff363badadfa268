import Basics

/// One place in a JSON document being read, with its path, so that every complaint names the
/// file, the path and what was expected there.
struct JSONField {
    let value: JSONValue
    let path: String
    let file: String

    init(_ value: JSONValue, path: String = "$", file: String) {
        self.value = value; self.path = path; self.file = file
    }

    func fail(_ expected: String) -> ResultsReadError { ResultsReadError(file: file, path: path, expected: expected) }

    /// The member `key`; nil when absent (null counts as present: its reader decides).
    func member(_ key: String) throws -> JSONField? {
        guard case .object(let o) = value else { throw fail("an object") }
        return o[key].map { JSONField($0, path: path + "." + key, file: file) }
    }

    func required(_ key: String) throws -> JSONField {
        guard let f = try member(key) else { throw JSONField(.null, path: path + "." + key, file: file).fail("a value (the field is missing)") }
        return f
    }

    /// The member read by `read`, nil when it is absent or null.
    func optional<T>(_ key: String, _ read: (JSONField) throws -> T) throws -> T? {
        guard let f = try member(key), f.value != .null else { return nil }
        return try read(f)
    }

    func string() throws -> String {
        guard case .string(let s) = value else { throw fail("a string") }
        return s
    }

    func double() throws -> Double {
        guard case .number(_, let v) = value else { throw fail("a number") }
        return v
    }

    func int() throws -> Int {
        guard case .number(let text, _) = value, let i = Int(text) else { throw fail("a whole number") }
        return i
    }

    func bool() throws -> Bool {
        guard case .bool(let b) = value else { throw fail("true or false") }
        return b
    }

    func array() throws -> [JSONField] {
        guard case .array(let items) = value else { throw fail("a list") }
        return items.enumerated().map { JSONField($0.element, path: "\(path)[\($0.offset)]", file: file) }
    }

    func strings() throws -> [String] { try array().map { try $0.string() } }

    /// An object whose values are all numbers (phase times).
    func numbers() throws -> [String: Double] {
        guard case .object(let o) = value else { throw fail("an object of numbers") }
        var out: [String: Double] = [:]
        for key in o.keys { out[key] = try JSONField(o[key]!, path: path + "." + key, file: file).double() }
        return out
    }

    func oneOf<T: RawRepresentable>(_ type: T.Type, _ allowed: [String]) throws -> T where T.RawValue == String {
        let s = try string()
        guard let v = T(rawValue: s) else { throw fail("one of " + allowed.joined(separator: ", ") + " (found \"\(s)\")") }
        return v
    }
}
