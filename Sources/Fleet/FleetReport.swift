import DoctorCore
import SystemProbes
import Runbook
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
        if let first = reports.first, let other = reports.first(where: { $0.version != first.version }) {
            throw FleetInputError(other.source, "report from sllm-doctor \(other.version), but \(first.source) is from \(first.version): compare reports of one version (roll the DaemonSet to one image, then collect again)")
        }
        nodes = reports.sorted { a, b in a.status != b.status ? a.status > b.status : a.host < b.host }
        var ids: [String] = []
        var known = Set<String>()
        for r in reports { for c in r.checks where known.insert(c.id).inserted { ids.append(c.id) } }
        checkIDs = ids
    }

    /// Reads files and folders (every regular file in a folder, by name): each file is one
    /// report, or `kubectl logs --prefix` output holding one per pod.
    public static func load(_ paths: [String], limit: Int = FleetInput.defaultLimit) throws -> FleetReport {
        var files: [String] = []
        for path in paths {
            let facts = FileFacts.facts(path)
            guard facts.exists else { throw FleetInputError(path, "no such file or folder") }
            if facts.isDirectory {
                let names = (FileFacts.names(in: path) ?? []).filter { !$0.hasPrefix(".") }.sorted()
                let inside = names.map { FileFacts.join(path, $0) }.filter { FileFacts.isFile($0) }
                guard !inside.isEmpty else { throw FleetInputError(path, "an empty folder: expected check --json reports") }
                files += inside
            } else {
                files.append(path)
            }
        }
        guard !files.isEmpty else { throw FleetInputError("fleet report", "no files given") }
        var reports: [NodeReport] = []
        for file in files { reports += try readFile(file, limit: limit) }
        return try FleetReport(reports)
    }

    static func readFile(_ file: String, limit: Int) throws -> [NodeReport] {
        let bytes = try FleetInput.read(file, limit: limit, hint: "expected check --json reports")
        guard KubectlLogs.looksLikeLogs(bytes) else {
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { throw FleetInputError(file, "is empty, expected a check --json report") }
            let json: JSONValue
            do { json = try JSONLite.parse(bytes) } catch let e as JSONLiteError {
                throw FleetInputError(file, "\(e.description) (line \(FleetInput.line(of: e.offset, in: bytes))): expected a check --json report or kubectl logs --prefix output")
            }
            return [try NodeReport(json, file: file)]
        }
        var reports: [NodeReport] = []
        for (pod, lines) in try KubectlLogs.split(String(decoding: bytes, as: UTF8.self), file: file) {
            guard let text = KubectlLogs.lastReport(lines) else {
                throw FleetInputError(file, "pod \(pod): no whole report in its lines (with -l, kubectl logs shows each pod's last 10 lines only: add --tail=-1)")
            }
            let json: JSONValue
            do { json = try JSONLite.parse(Array(text.utf8)) } catch let e as JSONLiteError {
                throw FleetInputError(file, "pod \(pod): \(e.description) in its last report")
            }
            reports.append(try NodeReport(json, file: file, source: "\(file) (pod \(pod))"))
        }
        return reports
    }

    public var failing: [NodeReport] { nodes.filter { $0.status == .fail } }

    /// The exit status: 1 when any node fails.
    public var anyFailing: Bool { !failing.isEmpty }
}
