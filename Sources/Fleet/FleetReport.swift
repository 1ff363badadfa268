import DoctorCore
import SystemProbes
import Basics

/// Per-node check reports side by side: which nodes fail, and on what (`fleet report`).
public struct FleetReport: Sendable {
    /// Failing nodes first, then nodes with warnings, then the rest; by name within each.
    public let nodes: [NodeReport]
    /// Every check id seen, in the order the reports list them (the catalogue's order).
    public let checkIDs: [String]

    public init(_ reports: [NodeReport]) throws {
        var seen: [String: NodeReport] = [:]
        for r in reports {
            if let first = seen[r.host] {
                throw FleetInputError(r.source, "node \(r.host) is reported twice (also in \(first.source)): give one report per node")
            }
            seen[r.host] = r
        }
        let versioned = reports.filter { !$0.version.isEmpty }
        if let first = versioned.first, let other = versioned.first(where: { $0.version != first.version }) {
            throw FleetInputError(other.source, "report from sllm-doctor \(other.version), but \(first.source) is from \(first.version): compare reports of one version (roll the DaemonSet to one image, then collect again)")
        }
        nodes = reports.sorted { a, b in a.status != b.status ? a.status > b.status : a.host < b.host }
        var ids: [String] = []
        var known = Set<String>()
        for r in reports { for c in r.checks where known.insert(c.id).inserted { ids.append(c.id) } }
        checkIDs = ids
    }

    /// Reads files and folders: each file is one report, or `kubectl logs --prefix` output
    /// holding one per pod. A folder is read whole or refused whole: every entry not starting
    /// with a dot must be a regular file (a link to one is read); a subfolder, a dangling link,
    /// a FIFO or a socket refuses it, naming the entry. A node whose `check` printed an error
    /// line instead of a report, or whose report cannot be read (bad JSON, a bad field), is a
    /// failing node with that line; the others are judged as usual.
    public static func load(_ paths: [String], limit: Int = FleetInput.defaultLimit) throws -> FleetReport {
        var files: [String] = []
        for path in paths {
            let facts = FileFacts.facts(path)
            guard facts.exists else {
                throw FleetInputError(path, FleetInput.notAFile(path) ?? "no such file or folder")
            }
            if facts.isDirectory {
                let names = (FileFacts.names(in: path) ?? []).filter { !$0.hasPrefix(".") }.sorted()
                guard !names.isEmpty else { throw FleetInputError(path, "an empty folder: expected check --json reports") }
                for name in names {
                    let entry = FileFacts.join(path, name)
                    if let what = FleetInput.notAFile(entry) {
                        throw FleetInputError(entry, "\(what), in a folder of reports: expected only check --json reports (regular files) there; move it out, or name the report files")
                    }
                    files.append(entry)
                }
            } else if let what = FleetInput.notAFile(path) {
                throw FleetInputError(path, "\(what): expected a check --json report or kubectl logs --prefix output")
            } else {
                files.append(path)
            }
        }
        guard !files.isEmpty else { throw FleetInputError("fleet report", "no files given") }
        // Each node is judged alone: a file that cannot be read as a report is one failing
        // node, named with its own error line, and the others are judged as usual.
        var reports: [NodeReport] = []
        for file in files {
            do { reports += try readFile(file, limit: limit) } catch let error as FleetInputError {
                reports.append(NodeReport(host: nodeName(file), problem: error.description, source: file))
            }
        }
        return try FleetReport(reports)
    }

    static func readFile(_ file: String, limit: Int) throws -> [NodeReport] {
        let bytes = try FleetInput.read(file, limit: limit, hint: "expected check --json reports")
        let expected = "expected a check --json report or kubectl logs --prefix output"
        guard KubectlLogs.looksLikeLogs(bytes) else {
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { throw FleetInputError(file, "is empty, expected a check --json report") }
            if let why = FleetInput.notUTF8JSON(bytes) { throw FleetInputError(file, "\(why): \(expected)") }
            if let line = errorLine(bytes) {
                // check's own error, saved in place of its report (2>&1): that node failed.
                return [NodeReport(host: nodeName(file), problem: line, source: file)]
            }
            let json: JSONValue
            do { json = try JSONLite.parse(bytes) } catch let e as JSONLiteError {
                if let yaml = FleetInput.yamlLine(bytes) { throw FleetInputError(file, "YAML, not JSON (line \(yaml)): \(expected)") }
                throw FleetInputError(file, "\(e.description) (line \(FleetInput.line(of: e.offset, in: bytes))): \(expected)")
            }
            return [try NodeReport(json, file: file)]
        }
        var reports: [NodeReport] = []
        var unjudged: [(pod: String, lines: Int)] = []
        for (pod, lines) in try KubectlLogs.split(String(decoding: bytes, as: UTF8.self), file: file) {
            let source = "\(file) (pod \(pod))"
            switch KubectlLogs.lastOutcome(lines) {
            case .report(let text):
                // One pod's report that cannot be read fails that node alone.
                do {
                    let json: JSONValue
                    do { json = try JSONLite.parse(Array(text.utf8)) } catch let e as JSONLiteError {
                        throw FleetInputError(file, "pod \(pod): \(e.description) in its last report")
                    }
                    reports.append(try NodeReport(json, file: file, source: source))
                } catch let error as FleetInputError {
                    reports.append(NodeReport(host: "pod/\(pod)", problem: error.description, source: source))
                }
            case .error(let line):
                reports.append(NodeReport(host: "pod/\(pod)", problem: line, source: source))
            case .none:
                unjudged.append((pod, lines.count))
            }
        }
        // Every pod cut short is a capture mistake, not a fleet of failing nodes; one pod cut
        // among whole ones is a node without a report, failing.
        let tailHint = "no whole report in its lines (with -l, kubectl logs shows each pod's last 10 lines only: add --tail=-1)"
        if reports.isEmpty, let first = unjudged.first { throw FleetInputError(file, "pod \(first.pod): \(tailHint)") }
        for u in unjudged {
            let problem = "no whole report and no error line in its \(u.lines) logged line\(u.lines == 1 ? "" : "s"): its check is still running or stopped without one (kubectl logs -n sllm-doctor pod/\(u.pod))"
            reports.append(NodeReport(host: "pod/\(u.pod)", problem: problem, source: "\(file) (pod \(u.pod))"))
        }
        return reports
    }

    /// The error line sllm-doctor printed, when the file holds that instead of a report: its
    /// first line that is not blank starts with `sllm-doctor: error: `.
    static func errorLine(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes.prefix(64 << 10), as: UTF8.self)
        guard let first = text.split(separator: "\n").first(where: { !$0.trimmingSpaces(newlines: true).isEmpty }) else { return nil }
        let line = first.hasSuffix("\r") ? first.dropLast() : first
        return line.hasPrefix(KubectlLogs.errorPrefix) ? String(line) : nil
    }

    /// The node a file stands for when it holds no report to say: its name without `.json`/`.log`.
    static func nodeName(_ file: String) -> String {
        let name = file.split(separator: "/").last.map(String.init) ?? file
        for ext in [".json", ".log", ".txt"] where name.hasSuffix(ext) && name.count > ext.count { return String(name.dropLast(ext.count)) }
        return name
    }

    public var failing: [NodeReport] { nodes.filter { $0.status == .fail } }

    /// The exit status: 1 when any node fails.
    public var anyFailing: Bool { !failing.isEmpty }
}
