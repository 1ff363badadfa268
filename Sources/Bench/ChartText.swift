import Foundation

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

    static func f1(_ v: Double) -> String { String(format: "%.1f", v) }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// One `<text>` element; `anchor` is SVG's text-anchor (start, middle, end).
    static func element(_ text: String, x: Double, y: Double, size: Double = 11, anchor: String = "start", fill: String? = nil) -> String {
        "<text x=\"\(f1(x))\" y=\"\(f1(y))\" font-size=\"\(Int(size))\" text-anchor=\"\(anchor)\"\(fill.map { " fill=\"\($0)\"" } ?? "")>\(escape(text))</text>\n"
    }
}
