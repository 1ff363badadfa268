/// Kubernetes' time stamps and the kubelet's Go durations, read without Foundation's
/// formatters: seconds since 1970 as a Double.
public enum KubeTime {
    /// RFC 3339 as the API writes it: `2026-11-20T14:00:05Z` (Time) or
    /// `2026-11-20T14:00:05.123456Z` (MicroTime); a `+01:00` offset is honoured.
    public static func parse(_ text: String) -> Double? {
        let b = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int? { digits(b, from, count) }
        guard b.count >= 20, let year = num(0, 4), b[4] == 0x2D, let month = num(5, 2), b[7] == 0x2D, let day = num(8, 2),
              b[10] == 0x54 || b[10] == 0x74 || b[10] == 0x20, let hour = num(11, 2), b[13] == 0x3A, let minute = num(14, 2),
              b[16] == 0x3A, let second = num(17, 2),
              (1...12).contains(month), (1...daysIn(month, of: year)).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var i = 19
        var fraction = 0.0
        if i < b.count, b[i] == 0x2E {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { fraction += Double(b[i] - 0x30) * scale; scale /= 10; i += 1 }
            guard i > start else { return nil }
        }
        var offset = 0
        guard i < b.count else { return nil }
        if b[i] == 0x5A || b[i] == 0x7A {
            i += 1
        } else if b[i] == 0x2B || b[i] == 0x2D, let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == 0x3A, let om = num(i + 4, 2), oh < 24, om < 60 {
            offset = (oh * 3600 + om * 60) * (b[i] == 0x2B ? 1 : -1)
            i += 6
        } else { return nil }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year, month, day)
        return Double(days * 86_400 + hour * 3600 + minute * 60 + second - offset) + fraction
    }

    static func daysIn(_ month: Int, of year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The decimal number in `count` bytes from `from`, or nil when one is not a digit.
    static func digits(_ b: [UInt8], _ from: Int, _ count: Int) -> Int? {
        guard from + count <= b.count else { return nil }
        var v = 0
        for i in from..<(from + count) {
            guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
            v = v * 10 + Int(b[i] - 0x30)
        }
        return v
    }

    /// Which part of a time stamp of the right shape is out of range (a year not of 4 digits, a
    /// day the month does not have, an hour past 23, an offset past 23:59), in words; nil when
    /// that is not the trouble.
    public static func invalidPart(_ text: String) -> String? {
        let b = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int? { digits(b, from, count) }
        // The year first: a longer run of digits would otherwise be read as year + month. Only
        // a run ended by '-' is meant as a year ("20 Nov 2026" is not of this shape at all).
        var yearDigits = 0
        while yearDigits < b.count, b[yearDigits] >= 0x30 && b[yearDigits] <= 0x39 { yearDigits += 1 }
        if yearDigits > 0, yearDigits != 4, yearDigits < b.count, b[yearDigits] == 0x2D {
            let shown = String(decoding: b.prefix(min(yearDigits, 24)), as: UTF8.self) + (yearDigits > 24 ? "…" : "")
            return "year \(shown) has \(yearDigits) digit\(yearDigits == 1 ? "" : "s") (a year is exactly 4 digits followed by '-')"
        }
        guard b.count >= 19, b[4] == 0x2D, b[7] == 0x2D, let year = num(0, 4), let month = num(5, 2), let day = num(8, 2) else { return nil }
        guard (1...12).contains(month) else { return "month \(month) does not exist" }
        guard (1...daysIn(month, of: year)).contains(day) else { return "day \(day) does not exist in \(year)-\(month < 10 ? "0" : "")\(month) (\(daysIn(month, of: year)) days)" }
        if let h = num(11, 2), h > 23 { return "hour \(h) is past 23" }
        if let m = num(14, 2), m > 59 { return "minute \(m) is past 59" }
        if let s = num(17, 2), s > 60 { return "second \(s) is past 60" }
        // The offset: the last six characters when they read ±HH:MM.
        if b.count >= 25, b[b.count - 6] == 0x2B || b[b.count - 6] == 0x2D, b[b.count - 3] == 0x3A,
           let oh = num(b.count - 5, 2), let om = num(b.count - 2, 2), oh > 23 || om > 59 {
            return "offset \(String(decoding: b.suffix(6), as: UTF8.self)) is out of range (-23:59 to +23:59)"
        }
        return nil
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// `2026-11-20T14:00:05Z` (fractions kept to milliseconds when there are any).
    public static func format(_ t: Double) -> String {
        let whole = Int(t.rounded(.down))
        let ms = Int(((t - Double(whole)) * 1000).rounded())
        var days = whole / 86_400
        var secs = whole % 86_400
        if secs < 0 { secs += 86_400; days -= 1 }
        let (y, m, d) = civilFromDays(days)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let frac = ms == 0 ? "" : "." + String(String(1000 + min(ms, 999)).dropFirst())
        return "\(y)-\(two(m))-\(two(d))T\(two(secs / 3600)):\(two(secs % 3600 / 60)):\(two(secs % 60))\(frac)Z"
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// A Go duration as the kubelet prints one: `1m3.2s`, `850ms`, `10m2.5s`, `1h0m0s`, `0s`.
    public static func goDuration(_ text: String) -> Double? {
        let s = Array(text.unicodeScalars)
        guard !s.isEmpty else { return nil }
        var i = 0
        var total = 0.0
        while i < s.count {
            let start = i
            while i < s.count, ("0"..."9").contains(s[i]) || s[i] == "." { i += 1 }
            guard i > start, let value = Double(String(String.UnicodeScalarView(s[start..<i]))) else { return nil }
            let unitStart = i
            while i < s.count, !("0"..."9").contains(s[i]), s[i] != "." { i += 1 }
            let unit = String(String.UnicodeScalarView(s[unitStart..<i]))
            let scale: Double
            switch unit {
            case "h": scale = 3600
            case "m": scale = 60
            case "s": scale = 1
            case "ms": scale = 1e-3
            case "us", "µs", "μs": scale = 1e-6
            case "ns": scale = 1e-9
            default: return nil
            }
            total += value * scale
        }
        return total
    }

    /// A span for people: `0s`, `3.2s`, `45s`, `1m05s`, `10m03s`, `1h02m`.
    public static func span(_ seconds: Double) -> String {
        let s = max(0, seconds)
        if s < 10 { let t = (s * 10).rounded() / 10; return t == t.rounded() ? "\(Int(t))s" : "\(t)s" }
        let whole = Int(s.rounded())
        if whole < 60 { return "\(whole)s" }
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        if whole < 3600 { return "\(whole / 60)m\(two(whole % 60))s" }
        return "\(whole / 3600)h\(two(whole % 3600 / 60))m"
    }
}
