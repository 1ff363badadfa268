// Small text operations in plain Swift. Foundation's trimmingCharacters, replacingOccurrences
// and padding go through NSString and CoreFoundation, whose first use costs more than the file
// reads of a whole `check`; the values here (.env lines, paths, sysfs text) are ASCII-delimited.

extension Substring {
    /// Without leading and trailing spaces: tab and the Unicode space separators (Foundation's
    /// `.whitespaces`); with `newlines`, every Unicode White_Space (`.whitespacesAndNewlines`).
    public func trimmingSpaces(newlines: Bool = false) -> String {
        func isSpace(_ s: Unicode.Scalar) -> Bool {
            if s.value < 128 { return s == " " || s == "\t" || (newlines && s.value >= 10 && s.value <= 13) }
            return newlines ? s.properties.isWhitespace : s.properties.generalCategory == .spaceSeparator
        }
        let scalars = unicodeScalars
        var start = scalars.startIndex, end = scalars.endIndex
        while start < end && isSpace(scalars[start]) { start = scalars.index(after: start) }
        while end > start && isSpace(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return String(self[start..<end])
    }
}

extension String {
    /// See `Substring.trimmingSpaces`.
    public func trimmingSpaces(newlines: Bool = false) -> String { self[...].trimmingSpaces(newlines: newlines) }
}

extension StringProtocol {
    /// Every non-overlapping `target`, left to right, replaced by `replacement`.
    public func replacingEvery(_ target: String, with replacement: String) -> String {
        let haystack = Array(self.utf8), needle = Array(target.utf8)
        guard !needle.isEmpty, haystack.count >= needle.count else { return String(self) }
        var out: [UInt8] = []
        out.reserveCapacity(haystack.count)
        var changed = false
        var i = 0
        while i < haystack.count {
            if haystack[i] == needle[0], i + needle.count <= haystack.count,
               haystack[i..<(i + needle.count)].elementsEqual(needle) {
                out.append(contentsOf: replacement.utf8)
                i += needle.count
                changed = true
            } else {
                out.append(haystack[i])
                i += 1
            }
        }
        return changed ? String(decoding: out, as: UTF8.self) : String(self)
    }

    /// True when `target` occurs in it (byte-wise, as `replacingEvery` matches).
    public func containsText(_ target: String) -> Bool {
        let haystack = Array(self.utf8), needle = Array(target.utf8)
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }

    /// Padded with spaces on the right to `width` characters (never cut).
    public func paddedRight(to width: Int) -> String {
        let n = count
        return n >= width ? String(self) : String(self) + String(repeating: " ", count: width - n)
    }
}

extension Array where Element == String {
    /// The elements with `separator` between them, as the standard library's `joined(separator:)`
    /// answers; this more specific overload is what `[String]` calls. The library's generic one
    /// is not specialised for `[String]` here: its first call asks the runtime for an associated
    /// type by mangled name, which scans every conformance in the binary (0.1 ms of a check,
    /// docs/perf.md).
    public func joined(separator: String = "") -> String {
        var out = ""
        for (i, element) in enumerated() {
            if i > 0 { out += separator }
            out += element
        }
        return out
    }
}

extension Unicode.Scalar {
    /// A-Z, a-z, 0-9.
    public var isASCIIAlphanumeric: Bool {
        (value >= 48 && value <= 57) || (value >= 65 && value <= 90) || (value >= 97 && value <= 122)
    }
    public var isASCIIDigit: Bool { value >= 48 && value <= 57 }
}

/// A number with a fixed count of decimals, without Foundation's String(format:).
public func formatDecimal(_ value: Double, places: Int) -> String {
    guard value.isFinite else { return String(value) }
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    guard scaled < 9e18 else { return String(value) }
    let whole = UInt64(scaled)
    let unit = UInt64(scale)
    var text = String(whole / unit)
    if places > 0 {
        let frac = String(whole % unit)
        text += "." + String(repeating: "0", count: places - frac.count) + frac
    }
    return (value.sign == .minus ? "-" : "") + text   // as printf: -0.01 to one place is "-0.0"
}
