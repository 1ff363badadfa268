/// A JSON document read in plain Swift (RFC 8259), for the small files `check` reads on every
/// run (a model's `model.safetensors.index.json`). JSONSerialization builds NSDictionary and
/// NSNumber objects and sets up CoreFoundation on first use, which costs more than the read.
public indirect enum JSONValue: Sendable, Equatable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    /// The number as written, and its value.
    case number(text: String, value: Double)
    case bool(Bool)
    case null

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
    public var object: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }
    public var string: String? { if case .string(let s) = self { return s }; return nil }
    /// A non-negative integer written without fraction or exponent, exactly.
    public var uint64: UInt64? { if case .number(let text, _) = self { return UInt64(text) }; return nil }
    public var double: Double? { if case .number(_, let v) = self { return v }; return nil }
}

public struct JSONLiteError: Error, CustomStringConvertible, Equatable {
    public var offset: Int
    public var expected: String
    public var description: String { "invalid JSON at byte \(offset): expected \(expected)" }
}

public enum JSONLite {
    /// Nesting deeper than this is refused (a crafted file must not exhaust the stack).
    public static let maxDepth = 256

    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        var p = Parser(bytes: bytes)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == bytes.count else { throw JSONLiteError(offset: p.i, expected: "the end of the document") }
        return v
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        func fail(_ expected: String) -> JSONLiteError { JSONLiteError(offset: i, expected: expected) }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
        }

        mutating func literal(_ word: String, _ v: JSONValue) throws -> JSONValue {
            for b in word.utf8 {
                guard i < bytes.count, bytes[i] == b else { throw fail("'\(word)'") }
                i += 1
            }
            return v
        }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth < JSONLite.maxDepth else { throw fail("nesting of at most \(JSONLite.maxDepth) levels") }
            guard i < bytes.count else { throw fail("a value") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var o: [String: JSONValue] = [:]
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                while true {
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("a quoted key") }
                    let key = try string()
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("':'") }
                    i += 1
                    skipSpace()
                    o[key] = try value(depth: depth + 1)   // a repeated key: the last wins, as in most readers
                    skipSpace()
                    guard i < bytes.count else { throw fail("',' or '}'") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                    throw fail("',' or '}'")
                }
            case UInt8(ascii: "["):
                i += 1
                var a: [JSONValue] = []
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                while true {
                    skipSpace()
                    a.append(try value(depth: depth + 1))
                    skipSpace()
                    guard i < bytes.count else { throw fail("',' or ']'") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                    throw fail("',' or ']'")
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            default: return try number()
            }
        }

        mutating func number() throws -> JSONValue {
            let start = i
            func digits() -> Int {
                let s = i
                while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
                return i - s
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 else { throw fail("a value") }
            if bytes[i] == UInt8(ascii: "0") { i += 1 } else { _ = digits() }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                guard digits() > 0 else { throw fail("a digit after '.'") }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                guard digits() > 0 else { throw fail("a digit in the exponent") }
            }
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            guard let v = Double(text) else { throw JSONLiteError(offset: start, expected: "a number") }
            return .number(text: text, value: v)
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count else { throw fail("4 hex digits") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[i]
                let d: UInt32
                switch b {
                case 0x30...0x39: d = UInt32(b - 0x30)
                case 0x41...0x46: d = UInt32(b - 0x41 + 10)
                case 0x61...0x66: d = UInt32(b - 0x61 + 10)
                default: throw fail("4 hex digits")
                }
                v = v * 16 + d
                i += 1
            }
            return v
        }

        mutating func string() throws -> String {
            i += 1   // the opening quote
            var out: [UInt8] = []
            var runStart = i
            while true {
                guard i < bytes.count else { throw fail("a closing '\"'") }
                let b = bytes[i]
                if b == UInt8(ascii: "\"") {
                    out.append(contentsOf: bytes[runStart..<i])
                    i += 1
                    break
                }
                if b < 0x20 { throw fail("no control character inside a string") }
                if b != UInt8(ascii: "\\") { i += 1; continue }
                out.append(contentsOf: bytes[runStart..<i])
                i += 1
                guard i < bytes.count else { throw fail("an escape") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if code >= 0xD800 && code < 0xDC00, i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                        let save = i
                        i += 2
                        let low = try hex4()
                        if low >= 0xDC00 && low < 0xE000 {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            i = save
                        }
                    }
                    // A lone surrogate becomes U+FFFD, as Swift strings cannot hold one.
                    let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                    out.append(contentsOf: String(scalar).utf8)
                default: throw fail("a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
                }
                runStart = i
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}

// Writing: `check --json` runs on every pre-run hook, and JSONSerialization (NSDictionary,
// NSNumber, CoreFoundation's set-up) cost more than the whole check there (docs/perf.md).
extension JSONValue {
    /// A number as JSONSerialization writes a Double: whole values below 1e16 without a
    /// fraction ("2", "-0"), others in Swift's shortest form ("0.263", "1e-05", "1e+16");
    /// NaN and infinities, which JSON cannot hold, as null.
    public static func number(_ value: Double) -> JSONValue {
        guard value.isFinite else { return .null }
        if value == value.rounded(), abs(value) < 1e16 {
            return .number(text: value == 0 && value.sign == .minus ? "-0" : String(Int64(value)), value: value)
        }
        return .number(text: value.description, value: value)
    }

    public static func number(_ value: Int) -> JSONValue { .number(text: String(value), value: Double(value)) }

    /// The document laid out as JSONSerialization's `[.prettyPrinted, .withoutEscapingSlashes]`
    /// lays it out (two-space indent, `"key" : value`), keys in code-point order.
    public func prettyText() -> String {
        var out = ""
        write(to: &out, indent: 0)
        return out
    }

    private func write(to out: inout String, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let text, _): out += text
        case .string(let s): Self.writeString(s, to: &out)
        case .array(let items):
            out += "[\n"
            if items.isEmpty { out += "\n" }
            for (i, item) in items.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                item.write(to: &out, indent: indent + 2)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case .object(let members):
            out += "{\n"
            if members.isEmpty { out += "\n" }
            let keys = members.keys.map(KeyOrder.init).sorted().map(\.key)
            for (i, key) in keys.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                Self.writeString(key, to: &out)
                out += " : "
                members[key]!.write(to: &out, indent: indent + 2)
                out += i + 1 < keys.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        }
    }

    /// Key order: runs of digits by their value ("gpu2" before "gpu10"), other characters by
    /// code point; among keys equal so, fewer leading zeros first. For keys of lowercase ASCII,
    /// digits, spaces and dots this is JSONSerialization's `.sortedKeys` order (tested).
    static func keyPrecedes(_ a: String, _ b: String) -> Bool { KeyOrder(a) < KeyOrder(b) }

    /// A key cut into UTF-8 bytes and digit runs, once per key (sorting compares it often).
    struct KeyOrder: Comparable {
        enum Token: Equatable {
            case byte(UInt8)
            /// A run of digits: without its leading zeros, and how long it was.
            case number(significant: [UInt8], length: Int)
        }
        let key: String
        let tokens: [Token]

        init(_ key: String) {
            self.key = key
            var tokens: [Token] = []
            let bytes = Array(key.utf8)
            var i = 0
            while i < bytes.count {
                guard bytes[i] >= 0x30 && bytes[i] <= 0x39 else { tokens.append(.byte(bytes[i])); i += 1; continue }
                var j = i
                while j < bytes.count, bytes[j] >= 0x30 && bytes[j] <= 0x39 { j += 1 }
                var start = i
                while start < j - 1, bytes[start] == 0x30 { start += 1 }
                tokens.append(.number(significant: Array(bytes[start..<j]), length: j - i))
                i = j
            }
            self.tokens = tokens
        }

        static func < (a: KeyOrder, b: KeyOrder) -> Bool {
            // UTF-8 bytes compare as their code points do; a digit run sits where "0" would.
            var fewerZeros: Bool?
            for (x, y) in zip(a.tokens, b.tokens) {
                switch (x, y) {
                case (.byte(let p), .byte(let q)):
                    if p != q { return p < q }
                case (.number(let p, let lp), .number(let q, let lq)):
                    if p.count != q.count { return p.count < q.count }
                    if p != q { return p.lexicographicallyPrecedes(q) }
                    if fewerZeros == nil, lp != lq { fewerZeros = lp < lq }
                case (.number, .byte(let q)):
                    return 0x30 < q
                case (.byte(let p), .number):
                    return p < 0x30
                }
            }
            if a.tokens.count != b.tokens.count { return a.tokens.count < b.tokens.count }
            return fewerZeros ?? false
        }

        static func == (a: KeyOrder, b: KeyOrder) -> Bool { a.key == b.key }
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        // Most strings need no escape: appended whole.
        // 0x7F, 0xC2, 0xD8, 0xE2: lead bytes of DEL, C1 and the bidi controls (escaped below).
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F || $0 == 0xC2 || $0 == 0xD8 || $0 == 0xE2 }) {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            default:
                // Controls, and DEL, C1 and the bidi and line-separator controls too: the same
                // value to any reader, and nothing that acts when the document is printed.
                if scalar.value < 0x20 || TerminalSafe.needsShowing(scalar, keepNewlines: false) {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
