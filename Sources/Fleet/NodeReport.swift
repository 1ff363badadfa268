import DoctorCore
import SystemProbes
import Basics

/// One node's `check --json` document, as `fleet report` reads it.
public struct NodeReport: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var id: String
        public var status: CheckStatus
        public var summary: String
        public var fix: String?
    }

    public var host: String
    public var version: String
    public var profile: String
    public var checks: [Entry]
    /// Where it came from: a file, or a file and the pod whose log held it.
    public var source: String
    /// Why this node is failing without a check saying so: its `check` stopped with an error
    /// (the line it printed), or its report judged nothing. nil for an ordinary report.
    public var problem: String?

    /// A node that judged nothing is not a passing one: failing, with `problem` saying why.
    public var status: CheckStatus {
        if problem != nil { return .fail }
        return checks.map(\.status).filter { $0 != .skip }.max() ?? .fail
    }

    /// A node whose `check` printed an error line instead of a report (exit 2 on the node: a
    /// missing `--udev-data` folder, a bad flag in the DaemonSet).
    public init(host: String, problem: String, source: String) {
        self.host = host
        self.version = ""
        self.profile = ""
        self.checks = []
        self.source = source
        // One line, kept short: it is the node's word, not a log to replay.
        let line = problem.count > 500 ? String(problem.prefix(499)) + "…" : problem
        self.problem = line
    }

    /// Reads a parsed document; errors name `file` and what was expected.
    public init(_ json: JSONValue, file: String, source: String? = nil) throws {
        let expected = "expected the output of sllm-doctor check --json"
        guard let top = json.object else { throw FleetInputError(file, "not a JSON object: \(expected)") }
        guard top["tool"]?.string == Tool.name else {
            if top["kind"] != nil { throw FleetInputError(file, "a Kubernetes object (kind \(top["kind"]?.string ?? "?")), not a check report: \(expected)") }
            throw FleetInputError(file, "not a check report (no \"tool\": \"\(Tool.name)\"): \(expected)")
        }
        guard let version = top["version"]?.string, !version.isEmpty else { throw FleetInputError(file, "no version: \(expected)") }
        guard let list = top["checks"], case .array(let items) = list else {
            throw FleetInputError(file, "no checks array (a bench result or another sllm-doctor document?): \(expected)")
        }
        guard let host = top["host"]?.string, !host.isEmpty else {
            throw FleetInputError(file, "no host: expected the node's name, which check --json writes (from NODE_NAME, else the hostname); this report comes from an older sllm-doctor")
        }
        var entries: [Entry] = []
        for (i, item) in items.enumerated() {
            guard let id = item["id"]?.string, let raw = item["status"]?.string else {
                throw FleetInputError(file, "checks[\(i)]: expected an object with id and status")
            }
            guard let status = CheckStatus(rawValue: raw) else {
                throw FleetInputError(file, "checks[\(i)] (\(id)): status '\(raw)', expected pass, warn, fail or skip")
            }
            entries.append(Entry(id: id, status: status, summary: item["summary"]?.string ?? "", fix: item["fix"]?.string))
        }
        self.host = host
        self.version = version
        // Reports from before `--profile` existed were of the standard profile.
        self.profile = top["profile"]?.string ?? "standard"
        self.checks = entries
        self.source = source ?? file
        if entries.isEmpty {
            problem = "its report holds no checks: nothing was judged on this node"
        } else if entries.allSatisfy({ $0.status == .skip }) {
            problem = "all \(entries.count) of its checks were skipped: nothing was judged on this node"
        }
    }
}
