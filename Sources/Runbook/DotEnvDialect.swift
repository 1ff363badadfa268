/// How a compose version reads a dotenv file (the project's `.env`, an `env_file`): where lines
/// end, which values are interpolated and against what. The two versions differ, and a value one
/// reads as `1` the other may keep as text, so a verdict about offline mode must know which
/// reading it used (both were checked against the real CLIs' `config`):
/// - docker-compose 1.29 reads both kinds of file through python-dotenv 0.21: a line ends at LF,
///   CRLF or a lone CR; `${NAME}` and `${NAME:-default}` are expanded in every value, single-
///   quoted ones too (the default is taken only when NAME is unset, not when it is empty); `$NAME`
///   and any other form stay text; earlier lines of the same file win over the shell; an
///   env_file does not see `.env`.
/// - compose v2 (compose-go) reads `EnvFile`'s grammar: a line ends at LF or CRLF; single quotes
///   are literal; other values take the whole compose syntax (`$NAME`, `-`, `:-`, `:?`, `:+`,
///   nesting, `\$` in double quotes a plain dollar); the shell (and, for an env_file, `.env`)
///   wins over earlier lines.
public enum DotEnvDialect: Int, Sendable, CaseIterable, CustomStringConvertible {
    case composeV1 = 1
    case composeV2 = 2

    public init(generation: Int) { self = generation >= 2 ? .composeV2 : .composeV1 }

    public var description: String { self == .composeV1 ? "docker-compose v1 (python-dotenv 0.21)" : "compose v2 (compose-go)" }

    /// One assignment as this dialect reads it.
    public struct Assignment: Sendable, Equatable {
        public var key: String
        /// nil: the value could not be worked out (why in `failure`), or a v1 `KEY` line without `=`.
        public var value: String?
        public var line: Int
        /// The value as written, quotes included (for evidence: what the file says).
        public var written: String
        public var uses: [ComposeInterpolation.Use]
        public var failure: String?
    }

    /// The file's assignments in order, interpolated as this dialect does. `lookup` gives what
    /// the file may reference from outside it (the shell; for a v2 env_file also `.env`);
    /// `display` names the file in each binding's source.
    public func read(_ text: String, path: String, display: String,
                     lookup: @escaping @Sendable (String) -> ComposeInterpolation.Binding?) -> [Assignment] {
        switch self {
        case .composeV1: return PythonDotEnv.read(text, display: display, lookup: lookup)
        case .composeV2: return Self.readV2(text, path: path, display: display, lookup: lookup)
        }
    }

    static func readV2(_ text: String, path: String, display: String,
                       lookup: @escaping @Sendable (String) -> ComposeInterpolation.Binding?) -> [Assignment] {
        let file = EnvFile.parse(text, path: path)
        var earlier: [String: ComposeInterpolation.Binding] = [:]
        var out: [Assignment] = []
        for e in file.entries {
            let quote = e.quoting == .single ? "'" : e.quoting == .double ? "\"" : ""
            var a = Assignment(key: e.key, value: e.value, line: e.line, written: quote + e.value + quote, uses: [], failure: nil)
            if e.quoting != .single, let template = e.template, template.utf8.contains(36) {
                a.written = quote + template + quote
                let known = earlier
                var local = ComposeInterpolation { name in lookup(name) ?? known[name] }
                local.strayDollarIsText = true
                do {
                    let (value, uses) = try local.interpolate(template)
                    a.value = value; a.uses = uses
                } catch {
                    a.value = nil; a.failure = "\(error)"
                }
            }
            if let value = a.value { earlier[e.key] = .init(value: value, source: "\(display):\(e.line)") }
            out.append(a)
        }
        return out
    }
}

/// python-dotenv 0.21's reader and its `${NAME}` / `${NAME:-default}` expansion, as
/// docker-compose 1.29 calls it (`dotenv_values(interpolate=True)`), written as one forward scan:
/// its regular expressions are followed exactly, including where they backtrack (an unclosed
/// quote closes at its last escaped quote), in time linear in the file's size.
enum PythonDotEnv {
    /// Python's `str.isspace`, which `\s` follows.
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }
    /// `[^\S\r\n]`: whitespace within a line.
    static func isInlineSpace(_ c: Unicode.Scalar) -> Bool { isSpace(c) && c != "\r" && c != "\n" }

    struct Raw { var key: String; var value: String?; var line: Int; var written: String }

    static func parse(_ text: String) -> [Raw] {
        var s = Array(text.unicodeScalars)
        if s.first == "\u{FEFF}" { s.removeFirst() }               // encoding='utf-8-sig'
        let n = s.count
        var i = 0
        var line = 1
        var out: [Raw] = []
        /// Moves to `j`, counting line ends (CRLF, LF, CR) as python-dotenv does.
        func advance(to j: Int) {
            var k = i
            while k < j {
                if s[k] == "\r" { line += 1; if k + 1 < j && s[k + 1] == "\n" { k += 1 } } else if s[k] == "\n" { line += 1 }
                k += 1
            }
            i = j
        }
        func skip(_ p: (Unicode.Scalar) -> Bool) { var j = i; while j < n && p(s[j]) { j += 1 }; advance(to: j) }
        func slice(_ a: Int, _ b: Int) -> String { var t = ""; t.unicodeScalars.append(contentsOf: s[a..<b]); return t }
        /// `'((?:\\'|[^'])*)'` from an opening quote at `i`: the end of the content, or nil.
        func quotedEnd(_ q: Unicode.Scalar) -> Int? {
            var j = i + 1
            var lastEscaped: Int? = nil
            while j < n {
                if s[j] == "\\" && j + 1 < n && s[j + 1] == q { lastEscaped = j + 1; j += 2; continue }
                if s[j] == q { return j }
                j += 1
            }
            return lastEscaped
        }

        while i < n {
            skip(isSpace)                                          // _multiline_whitespace
            if i >= n { break }
            let start = i
            let startLine = line
            var failed = false
            var key: String? = nil
            var value: String? = nil
            var written = ""
            parse: do {
                // _export: "export" and at least one inline space
                if n - i > 6, slice(i, i + 6) == "export", isInlineSpace(s[i + 6]) {
                    advance(to: i + 6); skip(isInlineSpace)
                }
                if s[i] == "#" {
                    key = nil
                } else if s[i] == "'" {
                    var j = i + 1
                    while j < n && s[j] != "'" { j += 1 }
                    guard j < n, j > i + 1 else { failed = true; break parse }
                    key = slice(i + 1, j); advance(to: j + 1)
                } else {
                    var j = i
                    while j < n && s[j] != "=" && s[j] != "#" && !isSpace(s[j]) { j += 1 }
                    guard j > i else { failed = true; break parse }
                    key = slice(i, j); advance(to: j)
                }
                skip(isInlineSpace)
                if i < n && s[i] == "=" {
                    advance(to: i + 1); skip(isInlineSpace)
                    if i < n && (s[i] == "'" || s[i] == "\"") {
                        let q = s[i]
                        guard let end = quotedEnd(q) else { failed = true; break parse }
                        let inner = slice(i + 1, end)
                        written = slice(i, end + 1)
                        value = q == "'" ? decodeEscapes(inner, single: true) : decodeEscapes(inner, single: false)
                        advance(to: end + 1)
                    } else if i >= n || s[i] == "\n" || s[i] == "\r" {
                        value = ""
                    } else {
                        var j = i
                        while j < n && s[j] != "\r" && s[j] != "\n" { j += 1 }
                        written = slice(i, j)
                        value = unquoted(Array(s[i..<j]))
                        advance(to: j)
                    }
                }
                // _comment, then _end_of_line
                var j = i
                while j < n && isInlineSpace(s[j]) { j += 1 }
                if j < n && s[j] == "#" {
                    while j < n && s[j] != "\r" && s[j] != "\n" { j += 1 }
                    advance(to: j)
                }
                skip(isInlineSpace)
                if i < n {
                    if s[i] == "\r" && i + 1 < n && s[i + 1] == "\n" { advance(to: i + 2) }
                    else if s[i] == "\n" || s[i] == "\r" { advance(to: i + 1) }
                    else { failed = true }
                }
            }
            if failed {
                // _rest_of_line: the statement is dropped (python-dotenv only warns).
                var j = i
                while j < n && s[j] != "\r" && s[j] != "\n" { j += 1 }
                if j < n { j += 1 }
                advance(to: max(j, start + 1))
                continue
            }
            if let key { out.append(Raw(key: key, value: value, line: startLine, written: written)) }
        }
        return out
    }

    /// `re.sub(r"\s+#.*", "", part).rstrip()`: the first `#` after whitespace starts a comment.
    static func unquoted(_ part: [Unicode.Scalar]) -> String {
        var end = part.count
        for k in part.indices where part[k] == "#" && k > 0 && isSpace(part[k - 1]) {
            var b = k - 1
            while b > 0 && isSpace(part[b - 1]) { b -= 1 }
            end = b
            break
        }
        while end > 0 && isSpace(part[end - 1]) { end -= 1 }
        var t = ""; t.unicodeScalars.append(contentsOf: part[0..<end]); return t
    }

    /// `\\[\\']` (single quotes) or `\\[\\'"abfnrtv]` (double quotes), decoded.
    static func decodeEscapes(_ s: String, single: Bool) -> String {
        var out = String.UnicodeScalarView()
        var it = Array(s.unicodeScalars)[...]
        while let c = it.first {
            it = it.dropFirst()
            guard c == "\\", let d = it.first else { out.append(c); continue }
            let mapped: Unicode.Scalar?
            switch d {
            case "\\": mapped = "\\"
            case "'": mapped = "'"
            case "\"" where !single: mapped = "\""
            case "a" where !single: mapped = "\u{07}"
            case "b" where !single: mapped = "\u{08}"
            case "f" where !single: mapped = "\u{0C}"
            case "n" where !single: mapped = "\n"
            case "r" where !single: mapped = "\r"
            case "t" where !single: mapped = "\t"
            case "v" where !single: mapped = "\u{0B}"
            default: mapped = nil
            }
            if let mapped { out.append(mapped); it = it.dropFirst() } else { out.append(c) }
        }
        return String(out)
    }

    /// The file's values expanded (`resolve_variables(override=True)`): each `${NAME}` or
    /// `${NAME:-default}` looks at the earlier lines first, then the shell.
    static func read(_ text: String, display: String,
                     lookup: @escaping @Sendable (String) -> ComposeInterpolation.Binding?) -> [DotEnvDialect.Assignment] {
        var earlier: [String: ComposeInterpolation.Binding?] = [:]   // a v1 `KEY` line without `=` is set to None
        var out: [DotEnvDialect.Assignment] = []
        for raw in parse(text) {
            var a = DotEnvDialect.Assignment(key: raw.key, value: nil, line: raw.line, written: raw.written, uses: [], failure: nil)
            if let value = raw.value {
                let known = earlier
                let (expanded, uses) = expand(value) { name in
                    if let found = known[name] { return .some(found) }
                    return lookup(name).map { .some($0) }
                }
                a.value = expanded; a.uses = uses
            }
            earlier[raw.key] = a.value.map { .init(value: $0, source: "\(display):\(raw.line)") } ?? .some(nil)
            out.append(a)
        }
        return out
    }

    /// `\$\{(?P<name>[^\}:]*)(?::-(?P<default>[^\}]*))?\}`, every match replaced; `find` answers
    /// nil (unset) or .some(binding-or-None). Linear: the next `}` and `:` are known at each place.
    static func expand(_ value: String, find: (String) -> ComposeInterpolation.Binding??) -> (String, [ComposeInterpolation.Use]) {
        let s = Array(value.unicodeScalars)
        let n = s.count
        var nextBrace = [Int](repeating: n, count: n + 1)
        var nextColon = [Int](repeating: n, count: n + 1)
        if n > 0 {
            for k in stride(from: n - 1, through: 0, by: -1) {
                nextBrace[k] = s[k] == "}" ? k : nextBrace[k + 1]
                nextColon[k] = s[k] == ":" ? k : nextColon[k + 1]
            }
        }
        func slice(_ a: Int, _ b: Int) -> String { var t = ""; t.unicodeScalars.append(contentsOf: s[a..<b]); return t }
        var out = String.UnicodeScalarView()
        var uses: [ComposeInterpolation.Use] = []
        var i = 0
        while i < n {
            guard s[i] == "$", i + 1 < n, s[i + 1] == "{" else { out.append(s[i]); i += 1; continue }
            let nameStart = i + 2
            let nameEnd = min(nextBrace[nameStart], nextColon[nameStart])
            var defaultText: String? = nil
            var close: Int? = nil
            if nameEnd < n && s[nameEnd] == "}" {
                close = nameEnd
            } else if nameEnd + 1 < n && s[nameEnd] == ":" && s[nameEnd + 1] == "-" && nextBrace[nameEnd + 2] < n {
                close = nextBrace[nameEnd + 2]
                defaultText = slice(nameEnd + 2, close!)
            }
            guard let close else { out.append(s[i]); i += 1; continue }
            let name = slice(nameStart, nameEnd)
            let found = find(name)
            let binding: ComposeInterpolation.Binding? = found ?? nil
            let tookDefault = found == nil && defaultText != nil
            let result = found != nil ? (binding?.value ?? "") : (defaultText ?? "")
            uses.append(.init(name: name, op: defaultText == nil ? .plain : .defaultIfUnset, binding: binding,
                              tookDefault: tookDefault, text: slice(i, close + 1)))
            out.append(contentsOf: result.unicodeScalars)
            i = close + 1
        }
        return (String(out), uses)
    }
}
