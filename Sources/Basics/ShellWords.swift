/// A command line split into words the way Python's `shlex.split` does (POSIX mode, no comments):
/// spaces, tabs and newlines separate words; `'…'` is literal; inside `"…"` a backslash escapes
/// only `"` and `\`; outside quotes a backslash escapes any character. vllm_snapshot splits
/// SLLM_CRIU so, and a preflight that judges the same CRIU must split it the same way.
public enum ShellWords {
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        /// 1-based position in characters (Unicode scalars) where the fault was found.
        public var position: Int
        public var reason: String
        public var description: String { "\(reason) (at character \(position))" }
        public init(position: Int, reason: String) { self.position = position; self.reason = reason }
    }

    /// One pass over the text.
    public static func split(_ text: String) throws(Invalid) -> [String] {
        enum State { case between, word, single, double }
        var words: [String] = []
        var word = String.UnicodeScalarView()
        var state = State.between
        var escaping = false
        var quoteOpenedAt = 0
        var position = 0
        for scalar in text.unicodeScalars {
            position += 1
            if escaping {
                // Inside double quotes the backslash stays unless it escapes `"` or `\`.
                if state == .double && scalar != "\"" && scalar != "\\" { word.append("\\") }
                word.append(scalar)
                escaping = false
                continue
            }
            switch state {
            case .between, .word:
                if scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" {
                    if state == .word { words.append(String(word)); word = String.UnicodeScalarView() }
                    state = .between
                } else if scalar == "\\" {
                    escaping = true; state = .word
                } else if scalar == "'" {
                    state = .single; quoteOpenedAt = position
                } else if scalar == "\"" {
                    state = .double; quoteOpenedAt = position
                } else {
                    word.append(scalar); state = .word
                }
            case .single:
                if scalar == "'" { state = .word } else { word.append(scalar) }
            case .double:
                if scalar == "\"" { state = .word } else if scalar == "\\" { escaping = true } else { word.append(scalar) }
            }
        }
        if escaping { throw Invalid(position: position, reason: "a backslash at the end escapes nothing") }
        switch state {
        case .single: throw Invalid(position: quoteOpenedAt, reason: "the ' opened here is never closed")
        case .double: throw Invalid(position: quoteOpenedAt, reason: "the \" opened here is never closed")
        case .word: words.append(String(word))
        case .between: break
        }
        return words
    }
}
