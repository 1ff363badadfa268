/// Text the tool did not write itself, made harmless for a terminal: every control character
/// (C0, DEL, C1), a lone CR, and the Unicode bidi and line-separator controls are shown as
/// visible text instead of acting. A pod name holding `ESC [ 1 A ESC [ 2 K` (cursor up, erase
/// the line) must print as `^[[1A^[[2K`, not redraw a failing node as passing.
public enum TerminalSafe {
    /// The most bytes of one foreign field shown on the terminal; the rest is counted, not shown.
    public static let fieldLimit = 4096

    /// `text` with every control shown visibly: C0 as caret notation (ESC `^[`, CR `^M`,
    /// NUL `^@`), DEL `^?`, C1, the bidi/separator controls and the invisible format
    /// characters (zero-width space, word joiners, byte-order mark) as `<U+XXXX>`. A line feed
    /// and a tab stay only with `keepNewlines` (a block of lines); in a one-line field they are
    /// `^J` and `^I`, so one field stays one line and its columns stay where they are.
    /// Linear in the text; returns the same string when nothing needs showing.
    public static func visible(_ text: String, keepNewlines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { needsShowing($0, keepNewlines: keepNewlines) }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            guard needsShowing(scalar, keepNewlines: keepNewlines) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            out += shown(scalar)
        }
        return out
    }

    /// The first `limit` bytes of `text` (never splitting a character) and, when there was
    /// more, " … (N bytes cut)".
    public static func capped(_ text: String, limit: Int = fieldLimit) -> String {
        let total = text.utf8.count
        guard total > limit else { return text }
        var kept = 0
        var end = text.unicodeScalars.startIndex
        for i in text.unicodeScalars.indices {
            let width = UTF8.width(text.unicodeScalars[i])
            if kept + width > limit { break }
            kept += width
            end = text.unicodeScalars.index(after: i)
        }
        return String(text.unicodeScalars[..<end]) + " … (\(total - kept) bytes cut)"
    }

    /// One foreign field for a one-line place (a name, a summary): capped, then made visible
    /// with line feeds shown too.
    public static func line(_ text: String, limit: Int = fieldLimit) -> String {
        visible(capped(text, limit: limit))
    }

    static func needsShowing(_ s: Unicode.Scalar, keepNewlines: Bool) -> Bool {
        switch s.value {
        case 0x0A, 0x09: return !keepNewlines
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: return true
        case 0x200B, 0x2060...0x2064, 0xFEFF: return true
        default: return false
        }
    }

    static func shown(_ s: Unicode.Scalar) -> String {
        switch s.value {
        case 0x00...0x1F: return "^" + String(Unicode.Scalar(UInt8(s.value + 0x40)))
        case 0x7F: return "^?"
        default:
            let hex = String(s.value, radix: 16, uppercase: true)
            return "<U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + ">"
        }
    }
}
