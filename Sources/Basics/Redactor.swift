/// Replaces secret values wherever they would be printed. Renderers apply it to the values
/// they repeat (the strings of a JSON document before it is encoded, the foreign parts of a
/// `TerminalText`), never to finished output: the mask must not break JSON syntax, and a
/// token that is an ordinary word must not mask the tool's own words.
public struct Redactor: Sendable {
    /// Values shorter than this are not masked: a Hugging Face token is 37 characters, and a
    /// short value (`pass`, `ok`, `1`) would mask ordinary words and numbers in every verdict.
    public static let minimumSecretLength = 8
    public static let mask = "***redacted***"

    public let secrets: [String]
    /// How many declared values were too short to mask (`check` says so once, without them).
    public let tooShort: Int
    public init(secrets: [String]) {
        // Longest first, so a token that contains another is masked whole.
        let distinct = Set(secrets.filter { !$0.isEmpty })
        self.secrets = distinct.filter { $0.count >= Self.minimumSecretLength }.sorted { $0.count > $1.count }
        self.tooShort = distinct.filter { $0.count < Self.minimumSecretLength }.count
    }
    public func callAsFunction(_ text: String) -> String {
        var out = text
        for s in secrets where out.containsText(s) { out = out.replacingEvery(s, with: Self.mask) }
        // Hugging Face tokens have a recognisable form: mask any, even ones no file declared;
        // and the credentials of an HTTP authorization an engine or server echoes back.
        return Self.maskAuthorization(Self.maskHFTokens(out))
    }

    /// The keys whose string values are the tool's own vocabulary (a status, an area, a
    /// profile, a check id or title): never masked, so no token can change a verdict.
    public static let ownJSONValues: Set<String> = ["status", "area", "profile", "id", "title", "tool", "version"]

    /// The keys of the documents the tool writes (`check --json`, `fleet report --json`): the
    /// schema, never masked, so a token equal to one (`HF_TOKEN=duration_ms`) cannot rename a
    /// field in every check.
    public static let schemaKeys: Set<String> = ["area", "checks", "counts", "duration_ms", "evidence", "fail", "fix",
                                                 "host", "id", "pass", "profile", "skip", "status", "summary", "title",
                                                 "tool", "version", "warn", "problem", "nodes", "source"]

    /// Every string value and key of `document` redacted, before it is encoded (the mask can
    /// then neither break the syntax nor miss a value the encoder escapes), except the values
    /// of `own` keys and the schema's own keys (`schemaKeys`). Keys that become equal keep one.
    public func json(_ document: JSONValue, own: Set<String> = Redactor.ownJSONValues) -> JSONValue {
        switch document {
        case .string(let s): return .string(self(s))
        case .array(let items): return .array(items.map { json($0, own: own) })
        case .object(let members):
            var out: [String: JSONValue] = [:]
            out.reserveCapacity(members.count)
            for (key, value) in members {
                let shownKey = Self.schemaKeys.contains(key) ? key : self(key)
                if own.contains(key), case .string = value { out[key] = value } else { out[shownKey] = json(value, own: own) }
            }
            return .object(out)
        case .number, .bool, .null: return document
        }
    }

    /// `Bearer X`, `Basic X`, `Token X` after `Authorization:` or `Authorization=`, and any
    /// `Bearer X` on its own (X of 8 or more characters), with X (the credentials: letters, digits, `-._~+/=`) masked.
    /// One pass over the bytes, case-insensitive.
    static func maskAuthorization(_ text: String) -> String {
        let bytes = Array(text.utf8)
        func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b + 32 : b }
        func isCredential(_ b: UInt8) -> Bool {
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 45 || b == 46 || b == 95 || b == 126 || b == 43 || b == 47 || b == 61
        }
        func matches(_ word: [UInt8], at i: Int) -> Bool {
            guard i + word.count <= bytes.count else { return false }
            for k in 0..<word.count where lower(bytes[i + k]) != word[k] { return false }
            return true
        }
        let authorization = Array("authorization".utf8), schemes = [Array("bearer".utf8), Array("basic".utf8), Array("token".utf8)]
        var out: [UInt8] = []
        var changed = false
        var i = 0
        // Copies up to the credentials after `i` (spaces, then a run of credential bytes) and masks them.
        func maskCredentials(from start: Int, atLeast: Int = 1) -> Int {
            var j = start
            while j < bytes.count && (bytes[j] == 32 || bytes[j] == 9) { j += 1 }
            var end = j
            while end < bytes.count && isCredential(bytes[end]) { end += 1 }
            guard end - j >= atLeast else { return start }
            out.append(contentsOf: bytes[start..<j])
            out.append(contentsOf: Array(mask.utf8))
            changed = true
            return end
        }
        while i < bytes.count {
            let wordStart = i == 0 || !isCredential(bytes[i - 1])
            if wordStart, matches(authorization, at: i) {
                var j = i + authorization.count
                while j < bytes.count && (bytes[j] == 32 || bytes[j] == 9) { j += 1 }
                if j < bytes.count && (bytes[j] == 58 || bytes[j] == 61) {   // ':' or '='
                    j += 1
                    out.append(contentsOf: bytes[i..<j])
                    var k = j
                    while k < bytes.count && (bytes[k] == 32 || bytes[k] == 9) { k += 1 }
                    if let scheme = schemes.first(where: { matches($0, at: k) }), k + scheme.count < bytes.count,
                       bytes[k + scheme.count] == 32 || bytes[k + scheme.count] == 9 {
                        out.append(contentsOf: bytes[j..<(k + scheme.count)])
                        i = maskCredentials(from: k + scheme.count)
                    } else {
                        i = maskCredentials(from: j)
                    }
                    continue
                }
            }
            if wordStart, matches(schemes[0], at: i), i + 6 < bytes.count, bytes[i + 6] == 32 || bytes[i + 6] == 9 {
                out.append(contentsOf: bytes[i..<(i + 6)])
                // Alone, only a credential's length: "a bearer token" in prose stays.
                let next = maskCredentials(from: i + 6, atLeast: 8)
                if next != i + 6 { i = next; continue }
                out.removeLast(6)
            }
            out.append(bytes[i])
            i += 1
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }

    /// Every `hf_` followed by 16 or more ASCII letters or digits (the form of Hugging Face
    /// tokens) replaced by the mask; the same as `#/hf_[A-Za-z0-9]{16,}/#` (the tests compare
    /// them), by a byte scan: building that Regex costs more than a whole `check`.
    static func maskHFTokens(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19 else { return text }
        func isAlnum(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
        var out: [UInt8] = []
        var changed = false
        var i = 0
        while i < bytes.count {
            if bytes[i] == 104, i + 2 < bytes.count, bytes[i + 1] == 102, bytes[i + 2] == 95 {   // "hf_"
                var j = i + 3
                while j < bytes.count && isAlnum(bytes[j]) { j += 1 }
                if j - (i + 3) >= 16 {
                    out.append(contentsOf: Array(mask.utf8))
                    changed = true
                    i = j
                    continue
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }
}
