import Foundation
import SystemProbes
import Basics

/// One `KEY=value` assignment from an env file.
public struct EnvEntry: Sendable, Equatable {
    public enum Quoting: String, Sendable { case none, single, double }
    public var key: String
    public var value: String
    /// 1-based line of the assignment (where a quoted value starts).
    public var line: Int
    public var quoting: Quoting
    public var exported: Bool
    /// Names referenced as `$X` / `${X}` (never for single-quoted values, which are literal).
    public var references: [String]
    /// The value as compose v2 interpolates it: escapes applied, an escaped dollar (`\$`) kept
    /// as `$$`; nil for single quotes (literal).
    public var template: String? = nil
}

/// A line that does not fit the grammar, with what was expected there.
public struct EnvSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public var expected: String
    public var description: String { "\(file):\(line): \(message) (expected \(expected))" }
}

/// An env file read with docker compose's .env grammar: blank lines and `#` comments,
/// an optional `export ` prefix, unquoted values (inline comments start at whitespace + `#`),
/// single quotes (literal), double quotes (escapes, may span lines), CRLF line ends and a
/// UTF-8 BOM. Bad lines are reported and skipped; the rest still parses.
public struct EnvFile: Sendable {
    public var path: String
    public var entries: [EnvEntry]
    public var errors: [EnvSyntaxError]
    /// The text as read: compose's two dotenv readings (`DotEnvDialect`) start from it.
    public var source: String = ""

    /// Last assignment wins, as in compose.
    public var values: [String: String] {
        var v: [String: String] = [:]
        for e in entries { v[e.key] = e.value }
        return v
    }

    public subscript(key: String) -> String? { entries.last { $0.key == key }?.value }
    public func entry(_ key: String) -> EnvEntry? { entries.last { $0.key == key } }

    /// Keys assigned more than once, with every line that assigns them.
    public var duplicates: [(key: String, lines: [Int])] {
        var order: [String] = []
        var lines: [String: [Int]] = [:]
        for e in entries {
            if lines[e.key] == nil { order.append(e.key) }
            lines[e.key, default: []].append(e.line)
        }
        return order.compactMap { k in lines[k]!.count > 1 ? (k, lines[k]!) : nil }
    }

    /// A `.env` of a few hundred lines is a few KB: anything past 1 MiB is not one.
    public static let sizeLimit = 1 << 20

    public static func load(path: String) throws(InputReadError) -> EnvFile {
        parse(try BoundedRead.text(path, limit: sizeLimit), path: path)
    }

    public static func parse(_ text: String, path: String) -> EnvFile {
        var body = Substring(text)
        if body.hasPrefix("\u{FEFF}") { body = body.dropFirst() }
        let lines = body.replacingEvery("\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        var entries: [EnvEntry] = []
        var errors: [EnvSyntaxError] = []
        var index = 0
        func fail(_ line: Int, _ message: String, _ expected: String) {
            errors.append(EnvSyntaxError(file: path, line: line, message: message, expected: expected))
        }
        while index < lines.count {
            let lineNumber = index + 1
            var rest = Substring(lines[index]).drop(while: { $0 == " " || $0 == "\t" })
            index += 1
            if rest.isEmpty || rest.hasPrefix("#") { continue }
            var exported = false
            if rest.hasPrefix("export ") || rest.hasPrefix("export\t") {
                exported = true
                rest = rest.dropFirst(7).drop(while: { $0 == " " || $0 == "\t" })
            }
            guard let eq = rest.firstIndex(of: "=") else {
                // The line's text is not echoed: it may be a token pasted without its key.
                fail(lineNumber, "no '=' on this line", "KEY=VALUE")
                continue
            }
            let key = rest[..<eq].trimmingSpaces()
            guard Self.isValidKey(key) else {
                // Only where the name goes wrong, never the text: it may be a token pasted in.
                fail(lineNumber, Self.describeInvalidKey(key),
                     "a name of letters, digits and _ (not starting with a digit), then =")
                continue
            }
            let afterEq = rest[rest.index(after: eq)...]
            let raw = afterEq.drop(while: { $0 == " " || $0 == "\t" })
            if let quote = raw.first, quote == "'" || quote == "\"" {
                // A quoted value; it may continue on following lines until the closing quote.
                // Each added line is scanned once (an unterminated quote stays linear in size).
                var content = String(raw.dropFirst())
                var scan = QuoteScan(quote: quote)
                var closing = scan.advance(over: content, from: content.startIndex)
                while closing == nil && index < lines.count {
                    let resume = content.endIndex
                    content += "\n" + lines[index]
                    index += 1
                    closing = scan.advance(over: content, from: resume)
                }
                guard let close = closing else {
                    fail(lineNumber, "unterminated \(quote == "'" ? "single" : "double") quote", "a closing \(quote) before the end of the file")
                    continue
                }
                let inner = String(content[..<close])
                let trailing = content[content.index(after: close)...].drop(while: { $0 == " " || $0 == "\t" })
                if !trailing.isEmpty && !trailing.hasPrefix("#") {
                    fail(lineNumber, "unexpected text after the closing quote",
                         "KEY=\(quote)value\(quote) optionally followed by ' # comment'")
                    continue
                }
                if quote == "'" {
                    entries.append(EnvEntry(key: key, value: inner, line: lineNumber, quoting: .single, exported: exported, references: []))
                } else {
                    let (value, refs, template) = Self.unescapeDouble(inner)
                    entries.append(EnvEntry(key: key, value: value, line: lineNumber, quoting: .double, exported: exported,
                                            references: refs, template: template))
                }
                continue
            }
            // Unquoted: whitespace followed by # starts a comment (also right after '=').
            var value = Substring(raw)
            if afterEq.first == " " || afterEq.first == "\t", raw.hasPrefix("#") { value = "" }
            if let hash = Self.inlineCommentStart(value) { value = value[..<hash] }
            let trimmed = value.trimmingSpaces()
            entries.append(EnvEntry(key: key, value: trimmed, line: lineNumber, quoting: .none, exported: exported,
                                    references: Self.references(in: trimmed), template: trimmed))
        }
        return EnvFile(path: path, entries: entries, errors: errors, source: text)
    }

    static func isValidKey(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, !first.isASCIIDigit else { return false }
        return key.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || $0 == "_" || $0 == "." || $0 == "-" }
    }

    /// Finds the closing quote across pieces of text, remembering a pending backslash, so
    /// that each character is looked at once however many lines a value spans.
    struct QuoteScan {
        let quote: Character
        var escapePending = false

        mutating func advance(over s: String, from start: String.Index) -> String.Index? {
            var i = start
            while i < s.endIndex {
                let c = s[i]
                if escapePending { escapePending = false }
                else if c == "\\" && quote == "\"" { escapePending = true }
                else if c == quote { return i }
                i = s.index(after: i)
            }
            return nil
        }
    }

    /// Index of the unescaped closing quote (backslash escapes only count in double quotes).
    static func closingQuote(in s: String, quote: Character) -> String.Index? {
        var scan = QuoteScan(quote: quote)
        return scan.advance(over: s, from: s.startIndex)
    }

    static func describeInvalidKey(_ key: String) -> String {
        if key.isEmpty { return "no variable name before '='" }
        if let first = key.unicodeScalars.first, first.isASCIIDigit {
            return "the variable name starts with a digit"
        }
        let position = key.unicodeScalars.firstIndex { !($0.isASCIIAlphanumeric || $0 == "_" || $0 == "." || $0 == "-") }
        let column = position.map { key.unicodeScalars.distance(from: key.unicodeScalars.startIndex, to: $0) + 1 } ?? 1
        let bad = position.map { key.unicodeScalars[$0] }
        let what = bad.map { $0 == " " || $0 == "\t" ? "a space" : $0.isASCII && !$0.isASCIIAlphanumeric ? "'\($0)'" : "a character outside ASCII" } ?? "a character"
        return "invalid variable name (\(key.count) characters; \(what) at character \(column))"
    }

    static func inlineCommentStart(_ s: Substring) -> Substring.Index? {
        var previous: Character = "x"
        for i in s.indices {
            if s[i] == "#" && (previous == " " || previous == "\t") { return i }
            previous = s[i]
        }
        return nil
    }

    /// Double-quote escapes as compose applies them; `\$` is a literal dollar, not a reference.
    static func unescapeDouble(_ s: String) -> (String, [String], String) {
        var out = ""
        var refsSource = ""   // the value with escaped dollars neutralised, for reference scanning
        var template = ""     // the value with escaped dollars doubled, for interpolation
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if c == "\\", s.index(after: i) < s.endIndex {
                let n = s[s.index(after: i)]
                let mapped: String
                switch n {
                case "n": mapped = "\n"
                case "t": mapped = "\t"
                case "r": mapped = "\r"
                case "\\": mapped = "\\"
                case "\"": mapped = "\""
                case "$": mapped = "$"
                default: mapped = "\\" + String(n)
                }
                out += mapped
                refsSource += n == "$" ? "_" : mapped
                template += n == "$" ? "$$" : mapped
                i = s.index(i, offsetBy: 2)
                continue
            }
            out.append(c)
            refsSource.append(c)
            template.append(c)
            i = s.index(after: i)
        }
        return (out, references(in: refsSource), template)
    }

    /// `$NAME` and `${NAME...}` occurrences.
    static func references(in s: String) -> [String] {
        var refs: [String] = []
        let chars = Array(s)
        var i = 0
        while i < chars.count {
            if chars[i] == "$", i + 1 < chars.count {
                if chars[i + 1] == "{" {
                    var j = i + 2
                    var name = ""
                    while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { name.append(chars[j]); j += 1 }
                    if !name.isEmpty { refs.append(name) }
                    i = j
                    continue
                }
                if chars[i + 1].isLetter || chars[i + 1] == "_" {
                    var j = i + 1
                    var name = ""
                    while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { name.append(chars[j]); j += 1 }
                    refs.append(name)
                    i = j
                    continue
                }
            }
            i += 1
        }
        return refs
    }
}

/// The variables that switch Hugging Face offline mode (hub and transformers).
public let offlineFlagNames = ["HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"]

/// Truthy values of HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE (huggingface_hub's rule).
public func isTruthyFlag(_ value: String?) -> Bool {
    guard let v = value?.trimmingSpaces().uppercased() else { return false }
    return ["1", "ON", "YES", "TRUE"].contains(v)
}

/// `32GB`, `128MB`, `4GiB`, `512` → bytes. Decimal units for KB/MB/GB/TB as sllm-store uses them.
public func parseByteSize(_ text: String) -> UInt64? {
    let s = text.trimmingSpaces().uppercased()
    guard !s.isEmpty else { return nil }
    let digits = s.prefix { $0.isNumber || $0 == "." }
    guard let number = Double(digits), number >= 0 else { return nil }
    let unit = s.dropFirst(digits.count).trimmingSpaces()
    let factors: [String: Double] = [
        "": 1, "B": 1, "K": 1e3, "KB": 1e3, "M": 1e6, "MB": 1e6, "G": 1e9, "GB": 1e9, "T": 1e12, "TB": 1e12,
        "KIB": 1024, "MIB": 1_048_576, "GIB": 1_073_741_824, "TIB": 1_099_511_627_776,
    ]
    guard let factor = factors[unit] else { return nil }
    let bytes = number * factor
    // 2^64 would trap in the conversion; no disk or pool is that large anyway.
    guard bytes.isFinite, bytes < 1.8e19 else { return nil }
    return UInt64(bytes)
}
