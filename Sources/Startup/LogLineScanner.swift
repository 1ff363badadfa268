import Foundation

/// Reads one log line as UTF-8 bytes with fixed literals and bounded number scans, never a
/// regex: every search is one left-to-right pass, so a line costs time linear in its length
/// whatever it repeats (a backtracking `.*` took minutes on a line that repeats "EngineCore").
struct LogLineScanner {
    let bytes: [UInt8]

    init(_ text: String) { bytes = Array(text.utf8) }

    /// Where `needle` first starts at or after `from`, or nil. The needles are short literals,
    /// so the naive search is linear in the line's length.
    func find(_ needle: String, from: Int = 0) -> Int? {
        let n = Array(needle.utf8)
        guard let first = n.first, n.count <= bytes.count else { return nil }
        var i = max(0, from)
        let last = bytes.count - n.count
        while i <= last {
            if bytes[i] == first {
                var k = 1
                while k < n.count && bytes[i + k] == n[k] { k += 1 }
                if k == n.count { return i }
            }
            i += 1
        }
        return nil
    }

    func contains(_ needle: String) -> Bool { find(needle) != nil }

    /// The end of `needle` where it first occurs: where the text after it starts.
    func after(_ needle: String, from: Int = 0) -> Int? {
        find(needle, from: from).map { $0 + needle.utf8.count }
    }

    /// A decimal number (digits with at most one dot, 32 bytes at most) starting at `at`, and
    /// where it ends; nil when no digit is there.
    func number(at: Int) -> (value: Double, end: Int)? {
        var i = at, dot = false, digits = 0
        while i < bytes.count, i - at < 32 {
            let b = bytes[i]
            if b >= 0x30 && b <= 0x39 { digits += 1 } else if b == 0x2E && !dot { dot = true } else { break }
            i += 1
        }
        guard digits > 0, let v = Double(String(decoding: bytes[at..<i], as: UTF8.self)) else { return nil }
        return (v, i)
    }

    /// The number right after the first `needle`, and whether `unit` follows it (after spaces).
    func number(after needle: String, unit: String? = nil) -> Double? {
        guard let start = after(needle), let (v, end) = number(at: start) else { return nil }
        guard let unit else { return v }
        var i = end
        while i < bytes.count && bytes[i] == 0x20 { i += 1 }
        let u = Array(unit.utf8)
        guard i + u.count <= bytes.count, Array(bytes[i..<(i + u.count)]) == u else { return nil }
        return v
    }
}
