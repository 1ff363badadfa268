/// Compose's `$` interpolation, applied to one string: `$$` (a literal dollar), `$NAME`,
/// `${NAME}`, `${NAME:-default}` (unset or empty), `${NAME-default}` (unset),
/// `${NAME:?message}` (unset or empty is an error), `${NAME?message}` (unset is an error), and
/// compose v2's `${NAME:+alternative}` / `${NAME+alternative}`. A default may itself hold
/// references (`${A:-${B:-0}}`, as compose v2 reads it). A `$` followed by anything else is an
/// invalid interpolation, as both compose versions say. Every reference is recorded with where
/// its value came from, so a verdict can name the route that produced a value.
public struct ComposeInterpolation: Sendable {
    /// A variable's value and where it was set ("the shell", ".env:3").
    public struct Binding: Sendable, Equatable {
        public var value: String
        public var source: String
        public init(value: String, source: String) { self.value = value; self.source = source }
    }

    /// One `$NAME` / `${NAME…}` met while interpolating.
    public struct Use: Sendable, Equatable {
        public enum Operator: String, Sendable { case plain = "", defaultIfUnsetOrEmpty = ":-", defaultIfUnset = "-",
                                                  requiredNonEmpty = ":?", required = "?", alternativeIfSet = ":+",
                                                  alternativeIfSetOrEmpty = "+" }
        public var name: String
        public var op: Operator
        /// nil: the variable is not set anywhere.
        public var binding: Binding?
        /// The default (or alternative) text was used instead of the variable's value.
        public var tookDefault: Bool
        /// The `${…}` text as written.
        public var text: String
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// A `$` that starts no valid reference; the text from that `$`.
        case invalid(String)
        /// `${NAME:?message}` / `${NAME?message}` with NAME unset (or empty for `:?`).
        case missingRequired(name: String, message: String)
        /// The result grew past the limit, or defaults nested past it.
        case tooLarge(String)

        public var description: String {
            switch self {
            case .invalid(let text): return "invalid interpolation \"\(Self.clip(text))\" (expected $NAME, ${NAME}, ${NAME:-default}, ${NAME:?message} or $$ for a dollar)"
            case .missingRequired(let name, let message): return "\(name) is required and not set: \(Self.clip(message))"
            case .tooLarge(let why): return why
            }
        }

        static func clip(_ s: String) -> String { s.count > 60 ? String(s.prefix(60)) + "…" : s }
    }

    public struct Limits: Sendable {
        public var maxOutputBytes = 1 << 20
        public var maxNesting = 8
        public init() {}
    }

    public var lookup: @Sendable (String) -> Binding?
    public var limits: Limits
    /// `${X:+alt}` and `${X+alt}` are compose v2's; docker-compose v1 calls them invalid.
    public var allowsAlternatives = true
    /// compose v2 keeps a `$` that starts no reference (`$1`, `5$`) as text; v1 calls it invalid.
    public var strayDollarIsText = false

    public init(limits: Limits = Limits(), lookup: @escaping @Sendable (String) -> Binding?) {
        self.lookup = lookup
        self.limits = limits
    }

    /// Variables from a dictionary (for tests and the fuzzer).
    public init(_ variables: [String: Binding], limits: Limits = Limits()) {
        self.init(limits: limits) { variables[$0] }
    }

    /// The interpolated text and the references met, in order.
    public func interpolate(_ text: String) throws(Failure) -> (value: String, uses: [Use]) {
        var uses: [Use] = []
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        try expand(bytes, &i, until: nil, depth: 0, into: &out, uses: &uses)
        return (String(decoding: out, as: UTF8.self), uses)
    }

    static func isNameStart(_ b: UInt8) -> Bool { b == 95 || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
    static func isNameByte(_ b: UInt8) -> Bool { isNameStart(b) || (b >= 48 && b <= 57) }

    /// Copies `bytes[i...]` into `out`, expanding references, up to the `}` that closes the
    /// enclosing `${…}` when `until` is set (nested braces counted).
    private func expand(_ bytes: [UInt8], _ i: inout Int, until close: UInt8?, depth: Int,
                        into out: inout [UInt8], uses: inout [Use]) throws(Failure) {
        var braces = 0
        while i < bytes.count {
            let b = bytes[i]
            if let close, b == close && braces == 0 { return }
            if b == 123 { braces += 1 } else if b == 125 { braces -= 1 }
            guard b == 36 else {
                out.append(b); i += 1
                if out.count > limits.maxOutputBytes { throw .tooLarge("longer than \(limits.maxOutputBytes >> 10) KiB once interpolated") }
                continue
            }
            let start = i
            i += 1
            guard i < bytes.count else {
                if strayDollarIsText { out.append(36); continue }
                throw .invalid("$")
            }
            let next = bytes[i]
            if next == 36 { out.append(36); i += 1; continue }
            if Self.isNameStart(next) {
                var j = i
                while j < bytes.count && Self.isNameByte(bytes[j]) { j += 1 }
                let name = String(decoding: bytes[i..<j], as: UTF8.self)
                i = j
                let binding = lookup(name)
                uses.append(Use(name: name, op: .plain, binding: binding, tookDefault: false,
                                text: String(decoding: bytes[start..<j], as: UTF8.self)))
                out += Array((binding?.value ?? "").utf8)
                if out.count > limits.maxOutputBytes { throw .tooLarge("longer than \(limits.maxOutputBytes >> 10) KiB once interpolated") }
                continue
            }
            guard next == 123 else {
                if strayDollarIsText { out.append(36); continue }
                throw .invalid(Self.excerpt(bytes, from: start))
            }
            try braced(bytes, &i, start: start, depth: depth, into: &out, uses: &uses)
        }
        // An unclosed `${…`: the caller sees no closing brace and names the reference.
    }

    /// `${…}` from its `{` (at `i`): name, operator, the argument up to the matching `}`.
    private func braced(_ bytes: [UInt8], _ i: inout Int, start: Int, depth: Int,
                        into out: inout [UInt8], uses: inout [Use]) throws(Failure) {
        guard depth < limits.maxNesting else { throw .tooLarge("defaults nested deeper than \(limits.maxNesting) levels") }
        i += 1                                            // past "{"
        var j = i
        guard j < bytes.count, Self.isNameStart(bytes[j]) else { throw .invalid(Self.excerpt(bytes, from: start)) }
        while j < bytes.count && Self.isNameByte(bytes[j]) { j += 1 }
        let name = String(decoding: bytes[i..<j], as: UTF8.self)
        var op = Use.Operator.plain
        if j < bytes.count {
            let c = bytes[j], d = j + 1 < bytes.count ? bytes[j + 1] : 0
            switch c {
            case 125: break
            case 58 where d == 45: op = .defaultIfUnsetOrEmpty
            case 58 where d == 63: op = .requiredNonEmpty
            case 58 where d == 43 && allowsAlternatives: op = .alternativeIfSet
            case 45: op = .defaultIfUnset
            case 63: op = .required
            case 43 where allowsAlternatives: op = .alternativeIfSetOrEmpty
            default: throw .invalid(Self.excerpt(bytes, from: start))
            }
        }
        j += op.rawValue.utf8.count
        let binding = lookup(name)
        let isSet = binding != nil
        let isNonEmpty = !(binding?.value.isEmpty ?? true)
        // The argument is expanded only where it is used (as the shell does), but always scanned
        // to find the closing brace.
        var argument: [UInt8] = []
        var argumentUses: [Use] = []
        var k = j
        if op != .plain {
            try expand(bytes, &k, until: 125, depth: depth + 1, into: &argument, uses: &argumentUses)
        }
        guard k < bytes.count, bytes[k] == 125 else { throw .invalid(Self.excerpt(bytes, from: start)) }
        i = k + 1
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        var tookDefault = false
        var value: [UInt8]
        switch op {
        case .plain: value = Array((binding?.value ?? "").utf8)
        case .defaultIfUnsetOrEmpty: tookDefault = !isNonEmpty; value = isNonEmpty ? Array(binding!.value.utf8) : argument
        case .defaultIfUnset: tookDefault = !isSet; value = isSet ? Array(binding!.value.utf8) : argument
        case .requiredNonEmpty, .required:
            guard op == .required ? isSet : isNonEmpty else {
                let message = String(decoding: argument, as: UTF8.self)
                throw .missingRequired(name: name, message: message.isEmpty ? (op == .required ? "not set" : "not set or empty") : message)
            }
            value = Array(binding!.value.utf8)
        case .alternativeIfSet: tookDefault = isNonEmpty; value = isNonEmpty ? argument : []
        case .alternativeIfSetOrEmpty: tookDefault = isSet; value = isSet ? argument : []
        }
        uses.append(Use(name: name, op: op, binding: binding, tookDefault: tookDefault, text: text))
        if tookDefault { uses += argumentUses }
        out += value
        if out.count > limits.maxOutputBytes { throw .tooLarge("longer than \(limits.maxOutputBytes >> 10) KiB once interpolated") }
    }

    static func excerpt(_ bytes: [UInt8], from start: Int) -> String {
        String(decoding: bytes[start..<min(bytes.count, start + 40)], as: UTF8.self)
    }

    /// The references in a text, without values (for a note on what a value depends on).
    public static func referencedNames(in text: String) -> [String] {
        let none = ComposeInterpolation { _ in nil }
        guard let result = try? none.interpolate(text) else { return [] }
        return result.uses.map(\.name)
    }
}
