/// Text for the terminal that knows which parts the tool wrote and which it only repeats.
///
/// A string literal is the tool's own; every `String` interpolated into one is foreign (a
/// check's summary, a pod name, a log line) and, when rendered, is redacted, capped at
/// `TerminalSafe.fieldLimit` bytes and shown with its controls visible, line feeds included.
/// Colour is the only escape code that reaches the terminal, and only through `styled`:
/// a new output site that interpolates foreign text cannot forget to sanitise it.
public struct TerminalText: Sendable, Equatable, ExpressibleByStringInterpolation {
    /// The tool's colours for its marks.
    public enum Style: String, Sendable {
        case green = "32", yellow = "33", red = "31", grey = "90"
    }

    enum Part: Sendable, Equatable {
        case own(String)
        case foreign(String)
        case styled(Style, String)
        case foreignLines(String, indent: String, maxLines: Int)
    }

    var parts: [Part]

    public init() { parts = [] }
    public init(stringLiteral value: String) { parts = [.own(value)] }
    public init(stringInterpolation: StringInterpolation) { parts = stringInterpolation.parts }

    /// Foreign text as a whole part.
    public static func foreign(_ text: String) -> TerminalText { TerminalText(parts: [.foreign(text)]) }
    /// Foreign text of several lines (evidence): redacted whole, capped at four fields'
    /// worth of bytes, at most `maxLines` lines, each shown visibly after `indent`.
    public static func foreignLines(_ text: String, indent: String, maxLines: Int = 64) -> TerminalText {
        TerminalText(parts: [.foreignLines(text, indent: indent, maxLines: maxLines)])
    }
    /// The tool's own text, in colour on a terminal that wants it.
    public static func styled(_ style: Style, _ text: String) -> TerminalText { TerminalText(parts: [.styled(style, text)]) }

    init(parts: [Part]) { self.parts = parts }

    public static func + (a: TerminalText, b: TerminalText) -> TerminalText { TerminalText(parts: a.parts + b.parts) }
    public static func += (a: inout TerminalText, b: TerminalText) { a.parts += b.parts }

    public struct StringInterpolation: StringInterpolationProtocol {
        var parts: [Part] = []
        public init(literalCapacity: Int, interpolationCount: Int) { parts.reserveCapacity(interpolationCount * 2 + 1) }
        public mutating func appendLiteral(_ literal: String) { if !literal.isEmpty { parts.append(.own(literal)) } }
        /// Foreign: a string came from somewhere else.
        public mutating func appendInterpolation(_ text: String) { parts.append(.foreign(text)) }
        public mutating func appendInterpolation(_ text: Substring) { parts.append(.foreign(String(text))) }
        public mutating func appendInterpolation(_ text: TerminalText) { parts += text.parts }
        /// The tool's own words held in a variable (a check id, a heading): never redacted.
        public mutating func appendInterpolation(own text: String) { parts.append(.own(text)) }
        /// Numbers are the tool's own formatting.
        public mutating func appendInterpolation<N: BinaryInteger>(_ number: N) { parts.append(.own(String(number))) }
    }

    /// The bytes for the terminal: own text with its controls shown except line feeds and
    /// tabs (the tool writes no other), foreign text redacted first (so a cut never leaves half
    /// a token), then capped and shown as one line, colour only with `color`.
    public func rendered(color: Bool, redact: (String) -> String = { $0 }) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .own(let text): out += TerminalSafe.visible(text, keepNewlines: true)
            case .foreign(let text): out += TerminalSafe.line(redact(text))
            case .styled(let style, let text):
                let shown = TerminalSafe.visible(text)
                out += color ? "\u{1B}[\(style.rawValue)m\(shown)\u{1B}[0m" : shown
            case .foreignLines(let text, let indent, let maxLines):
                let lines = TerminalSafe.capped(redact(text), limit: 4 * TerminalSafe.fieldLimit).split(separator: "\n", omittingEmptySubsequences: false)
                for (i, line) in lines.prefix(maxLines).enumerated() {
                    if i > 0 { out += "\n" + indent }
                    out += TerminalSafe.visible(String(line))
                }
                if lines.count > maxLines { out += "\n" + indent + "… and \(lines.count - maxLines) more lines" }
            }
        }
        return out
    }
}
