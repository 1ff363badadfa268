import Foundation
import Basics

/// Text in the charts' SVG: how wide it is drawn, so the picture is made to fit its words, and
/// how it is written (escaped, one decimal for coordinates).
public enum ChartText {
    /// Advance widths of ' ' through '~' in ems: DejaVu Sans' (read from its hmtx table, rounded
    /// up), a wide face and the usual fallback where a viewer has no Helvetica or Arial.
    static let asciiEms: [Double] = [
        0.32, 0.41, 0.46, 0.84, 0.64, 0.96, 0.78, 0.28, 0.40, 0.40, 0.50, 0.84, 0.32, 0.37, 0.32, 0.34,
        0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.34, 0.34, 0.84, 0.84, 0.84, 0.54,
        1.00, 0.69, 0.69, 0.70, 0.78, 0.64, 0.58, 0.78, 0.76, 0.30, 0.30, 0.66, 0.56, 0.87, 0.75, 0.79,
        0.61, 0.79, 0.70, 0.64, 0.62, 0.74, 0.69, 0.99, 0.69, 0.62, 0.69, 0.40, 0.34, 0.40, 0.84, 0.50,
        0.50, 0.62, 0.64, 0.55, 0.64, 0.62, 0.36, 0.64, 0.64, 0.28, 0.28, 0.58, 0.28, 0.98, 0.64, 0.62,
        0.64, 0.64, 0.42, 0.53, 0.40, 0.64, 0.60, 0.82, 0.60, 0.60, 0.53, 0.64, 0.34, 0.64, 0.84,
    ]

    /// Width in px of `text` at `size` px; outside ASCII, '·' is narrow and anything else counts
    /// as a full em.
    public static func width(_ text: String, size: Double) -> Double {
        var ems = 0.0
        for u in text.unicodeScalars {
            switch u.value {
            case 0x20...0x7E: ems += asciiEms[Int(u.value) - 0x20]
            case 0xB7: ems += 0.32
            default: ems += 1
            }
        }
        return ems * size
    }

    /// `text` broken at spaces into lines no wider than `maxWidth` px at `size`, so a long
    /// caption adds lines instead of widening the picture. A "%" stays with the number before
    /// it; a word wider than a whole line is cut where it reaches the edge. Linear in the text.
    public static func wrap(_ text: String, size: Double, maxWidth: Double) -> [String] {
        var words: [String] = []
        for word in text.split(separator: " ") {
            if word == "%", let last = words.popLast() { words.append(last + " %") } else { words.append(String(word)) }
        }
        let space = width(" ", size: size)
        var lines: [String] = [], line = "", lineWidth = 0.0
        func endLine() { if !line.isEmpty { lines.append(line) }; line = ""; lineWidth = 0 }
        for word in words {
            let w = width(word, size: size)
            if w > maxWidth {
                endLine()
                for c in word {
                    let cw = width(String(c), size: size)
                    if lineWidth + cw > maxWidth && !line.isEmpty { endLine() }
                    line.append(c); lineWidth += cw
                }
                continue
            }
            if !line.isEmpty && lineWidth + space + w > maxWidth { endLine() }
            if line.isEmpty { line = word; lineWidth = w } else { line += " " + word; lineWidth += space + w }
        }
        endLine()
        return lines.isEmpty ? [""] : lines
    }

    /// `text` as it fits in `maxWidth` px: whole, or cut with "…" at its end.
    public static func fitted(_ text: String, size: Double, maxWidth: Double) -> String {
        guard width(text, size: size) > maxWidth else { return text }
        let room = maxWidth - width("…", size: size)
        var out = "", used = 0.0
        for c in text {
            let cw = width(String(c), size: size)
            if used + cw > room { break }
            out.append(c); used += cw
        }
        return out + "…"
    }

    static func f1(_ v: Double) -> String { String(format: "%.1f", v) }

    /// XML text: control characters (which XML 1.0 cannot hold) shown visibly first.
    static func escape(_ s: String) -> String {
        TerminalSafe.visible(s).replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// One `<text>` element; `anchor` is SVG's text-anchor (start, middle, end).
    static func element(_ text: String, x: Double, y: Double, size: Double = 11, anchor: String = "start", fill: String? = nil) -> String {
        "<text x=\"\(f1(x))\" y=\"\(f1(y))\" font-size=\"\(Int(size))\" text-anchor=\"\(anchor)\"\(fill.map { " fill=\"\($0)\"" } ?? "")>\(escape(text))</text>\n"
    }
}
