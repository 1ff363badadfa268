/// `kubectl logs -l app=sllm-doctor --prefix` output: every line starts with
/// `[pod/NAME/CONTAINER] `; lines of different pods may interleave, each line stays whole.
public enum KubectlLogs {
    /// True when the text's first non-empty line carries kubectl's prefix.
    public static func looksLikeLogs(_ bytes: [UInt8]) -> Bool {
        let start = bytes.firstIndex { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 } ?? bytes.count
        return bytes[start...].starts(with: Array("[pod/".utf8))
    }

    /// Each pod's lines, in the order they came, pods in order of first appearance.
    public static func split(_ text: String, file: String) throws -> [(pod: String, lines: [String])] {
        var order: [String] = []
        var lines: [String: [String]] = [:]
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.isEmpty { continue }
            guard line.hasPrefix("[pod/"), let close = line.firstIndex(of: "]") else {
                throw FleetInputError(file, "line \(n + 1): expected kubectl's prefix [pod/NAME/CONTAINER] (kubectl logs --prefix)")
            }
            let parts = line[line.index(line.startIndex, offsetBy: 5)..<close].split(separator: "/", omittingEmptySubsequences: false)
            guard let name = parts.first, !name.isEmpty else {
                throw FleetInputError(file, "line \(n + 1): expected kubectl's prefix [pod/NAME/CONTAINER] (kubectl logs --prefix)")
            }
            var rest = line[line.index(after: close)...]
            if rest.hasPrefix(" ") { rest = rest.dropFirst() }
            let pod = String(name)
            if lines[pod] == nil { order.append(pod) }
            lines[pod, default: []].append(String(rest))
        }
        return order.map { ($0, lines[$0]!) }
    }

    /// What a pod's log ends with: its last whole report, or the error line its `check`
    /// printed after it (or instead of any), or neither.
    public enum Outcome: Equatable {
        case report(String)
        case error(String)
        case none
    }

    /// The first line of what `sllm-doctor` prints when it stops with exit 2.
    public static let errorPrefix = "sllm-doctor: error: "

    /// The latest of the pod's last whole report and its last error line. `check --json`
    /// writes `{` and `}` alone on their lines, everything inside indented, so an error line is
    /// never inside a report; the DaemonSet repeats the check, so there may be several, and a
    /// log cut by `--tail` starts inside one.
    public static func lastOutcome(_ lines: [String]) -> Outcome {
        var end: Int?
        for i in stride(from: lines.count - 1, through: 0, by: -1) {
            if end == nil, lines[i].hasPrefix(errorPrefix) { return .error(lines[i]) }
            if lines[i] == "}" && end == nil { end = i }
            if lines[i] == "{", let e = end { return .report(lines[i...e].joined(separator: "\n")) }
        }
        return .none
    }
}
