import Yams

/// The tag YAML 1.1 gives a plain scalar, by the rules of Yams' default resolver (bool, int,
/// float, null; anything else is text here), matched by hand: the resolver's regular
/// expressions go through ICU, and compiling and running them cost more than a whole check.
/// `Tests/DoctorCoreTests/ImplicitTagTests.swift` holds this to Yams' own answers.
enum ImplicitTag {
    static func resolve(_ s: String) -> Tag.Name {
        // Most values start with a byte no rule accepts first: text at once, nothing allocated.
        if let first = s.utf8.first {
            switch first {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "~"),
                 UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"),
                 UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "o"), UInt8(ascii: "O"): break
            default: return .str
            }
        }
        let b = Array(s.utf8)
        if isBool(s) { return .bool }
        if isInt(b) { return .int }
        if isFloat(b) { return .float }
        if s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL" { return .null }
        return .str
    }

    static func isBool(_ s: String) -> Bool {
        switch s {
        case "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
             "on", "On", "ON", "off", "Off", "OFF": return true
        default: return false
        }
    }

    static func digit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    /// Index after an optional sign.
    static func afterSign(_ b: [UInt8]) -> Int { !b.isEmpty && (b[0] == 43 || b[0] == 45) ? 1 : 0 }

    /// All of b[i...] is made of `allowed` (at least one byte).
    static func all(_ b: [UInt8], from i: Int, _ allowed: (UInt8) -> Bool) -> Bool {
        i < b.count && b[i...].allSatisfy(allowed)
    }

    /// `(?::[0-5]?[0-9])+` from i, up to `end`: true if it consumes exactly [i, end).
    static func sexagesimalGroups(_ b: [UInt8], from start: Int, to end: Int) -> Bool {
        var i = start
        guard i < end else { return false }
        while i < end {
            guard b[i] == 58 else { return false }        // ':'
            i += 1
            // one or two digits, the first of two in 0-5
            guard i < end, digit(b[i]) else { return false }
            if i + 1 < end, digit(b[i + 1]), b[i] <= 53 { i += 2 } else { i += 1 }
        }
        return true
    }

    static func isInt(_ b: [UInt8]) -> Bool {
        let i = afterSign(b)
        guard i < b.count else { return false }
        let underscore: UInt8 = 95
        // 0b[0-1_]+
        if b[i] == 48, i + 1 < b.count, b[i + 1] == 98 { return all(b, from: i + 2) { $0 == 48 || $0 == 49 || $0 == underscore } }
        // 0x[0-9a-fA-F_]+
        if b[i] == 48, i + 1 < b.count, b[i + 1] == 120 {
            return all(b, from: i + 2) { digit($0) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) || $0 == underscore }
        }
        if b[i] == 48 {
            if b.count == i + 1 { return true }                                    // 0
            // 0o?[0-7_]+
            let j = b[i + 1] == 111 ? i + 2 : i + 1
            return all(b, from: j) { ($0 >= 48 && $0 <= 55) || $0 == underscore }
        }
        guard b[i] >= 49 && b[i] <= 57 else { return false }
        // [1-9][0-9_]* then, for base 60, (?::[0-5]?[0-9])+
        var j = i + 1
        while j < b.count && (digit(b[j]) || b[j] == underscore) { j += 1 }
        return j == b.count || sexagesimalGroups(b, from: j, to: b.count)
    }

    static func isFloat(_ b: [UInt8]) -> Bool {
        let underscore: UInt8 = 95, dot: UInt8 = 46
        let i = afterSign(b)
        // [-+]?\.(inf|Inf|INF)   and   \.(nan|NaN|NAN)
        if i < b.count, b[i] == dot {
            let rest = String(decoding: b[(i + 1)...], as: UTF8.self)
            if ["inf", "Inf", "INF"].contains(rest) { return true }
            if i == 0 && ["nan", "NaN", "NAN"].contains(rest) { return true }
            // \.[0-9_]+(?:[eE][-+][0-9]+)?  (no sign allowed before the dot)
            guard i == 0 else { return false }
            var j = 1
            while j < b.count && (digit(b[j]) || b[j] == underscore) { j += 1 }
            guard j > 1 else { return false }
            if j == b.count { return true }
            guard b[j] == 101 || b[j] == 69, j + 1 < b.count, b[j + 1] == 43 || b[j + 1] == 45 else { return false }
            return all(b, from: j + 2, digit)
        }
        // [-+]?[0-9][0-9_]* ...
        guard i < b.count, digit(b[i]) else { return false }
        var j = i + 1
        while j < b.count && (digit(b[j]) || b[j] == underscore) { j += 1 }
        if j == b.count { return true }
        // base 60: (?::[0-5]?[0-9])+\.[0-9_]*
        if b[j] == 58 {
            guard let d = b[j...].lastIndex(of: dot), sexagesimalGroups(b, from: j, to: d) else { return false }
            return b[(d + 1)...].allSatisfy { digit($0) || $0 == underscore }
        }
        // (?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
        if b[j] == dot {
            j += 1
            while j < b.count && (digit(b[j]) || b[j] == underscore) { j += 1 }
            if j == b.count { return true }
        }
        guard b[j] == 101 || b[j] == 69 else { return false }
        j += 1
        if j < b.count && (b[j] == 43 || b[j] == 45) { j += 1 }
        return all(b, from: j, digit)
    }
}
