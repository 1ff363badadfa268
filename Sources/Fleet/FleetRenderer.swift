import DoctorCore
import SystemProbes
import Basics

/// `fleet report`'s two outputs: a node × check matrix for people, one JSON object for scripts.
public struct FleetRenderer: Sendable {
    public var redact = Redactor(secrets: [])
    public init() {}

    static func mark(_ s: CheckStatus?) -> String {
        switch s {
        case .pass: "✓"
        case .warn: "!"
        case .fail: "✗"
        case .skip: "–"
        case nil: " "
        }
    }

    /// Checks grouped by area (the part of the id before the dot), one mark per check.
    static func groups(_ ids: [String]) -> [(area: String, ids: [String])] {
        var out: [(area: String, ids: [String])] = []
        var index: [String: Int] = [:]   // area → its place in `out`: linear in the ids
        for id in ids {
            let area = String(id.split(separator: ".").first ?? Substring(id))
            if let i = index[area] { out[i].ids.append(id) } else { index[area] = out.count; out.append((area, [id])) }
        }
        return out
    }

    public func text(_ fleet: FleetReport) -> String {
        let nodes = fleet.nodes
        let failing = nodes.filter { $0.status == .fail }.count
        let warning = nodes.filter { $0.status == .warn }.count
        // Hosts, ids, summaries and fixes come from other nodes' JSON: each is shown on one
        // line with its controls visible (TerminalSafe), so no node can redraw another's row.
        let versions = nodes.first { !$0.version.isEmpty }.map { "sllm-doctor \(TerminalSafe.line($0.version))" } ?? "no report"
        let profiles = Array(Set(nodes.map(\.profile).filter { !$0.isEmpty }.map { TerminalSafe.line($0) })).sorted().joined(separator: ", ")
        var out = "\(nodes.count) node\(nodes.count == 1 ? "" : "s"): \(failing) failing, \(warning) with warnings, \(nodes.count - failing - warning) passing (\(versions), profile \(profiles))\n\n"
        let groups = Self.groups(fleet.checkIDs)
        let hosts = nodes.map { TerminalSafe.line($0.host) }
        let nameWidth = max(4, hosts.map(\.count).max() ?? 4)
        var header = "    " + "node".paddedRight(to: nameWidth)
        for g in groups { header += "  " + TerminalSafe.line(g.area).paddedRight(to: g.ids.count) }
        out += header.trimmingTrailingSpaces() + "\n"
        for (node, host) in zip(nodes, hosts) {
            var line = "[\(Self.mark(node.status))] " + host.paddedRight(to: nameWidth)
            var statuses: [String: CheckStatus] = [:]   // an id given twice: its first entry
            for c in node.checks where statuses[c.id] == nil { statuses[c.id] = c.status }
            for g in groups {
                let marks = g.ids.map { id in Self.mark(statuses[id]) }.joined()
                line += "  " + marks.paddedRight(to: TerminalSafe.line(g.area).count)
            }
            out += line.trimmingTrailingSpaces() + "\n"
        }
        out += "\ncolumns: " + groups.map { g in
            TerminalSafe.line("\(g.area) = " + g.ids.map { $0.hasPrefix(g.area + ".") ? String($0.dropFirst(g.area.count + 1)) : $0 }.joined(separator: " "))
        }.joined(separator: "; ") + "\n"
        let problems = nodes.filter { $0.status == .fail }
        if !problems.isEmpty {
            out += "\nFailing\n"
            for node in problems {
                out += "  \(TerminalSafe.line(node.host)) (\(TerminalSafe.line(node.source)))\n"
                if let problem = node.problem { out += "    [✗] \(TerminalSafe.line(problem))\n" }
                for c in node.checks where c.status == .fail {
                    out += "    [✗] \(TerminalSafe.line(c.id)): \(TerminalSafe.line(c.summary))\n"
                    if let fix = c.fix { out += "        fix: \(TerminalSafe.line(fix))\n" }
                }
            }
        }
        return redact(out)
    }

    public func json(_ fleet: FleetReport) -> String {
        func entry(_ c: NodeReport.Entry) -> JSONValue {
            .object(["id": .string(c.id), "summary": .string(c.summary), "fix": c.fix.map { .string($0) } ?? .null])
        }
        let nodes: [JSONValue] = fleet.nodes.map { n in
            var statuses: [String: JSONValue] = [:]
            for c in n.checks { statuses[c.id] = .string(c.status.rawValue) }
            return .object([
                "node": .string(n.host), "status": .string(n.status.rawValue), "source": .string(n.source),
                "problem": n.problem.map { .string($0) } ?? .null,
                "version": .string(n.version), "profile": .string(n.profile), "checks": .object(statuses),
                "failing": .array(n.checks.filter { $0.status == .fail }.map(entry)),
                "warnings": .array(n.checks.filter { $0.status == .warn }.map(entry)),
            ])
        }
        let count = { (s: CheckStatus) in JSONValue.number(fleet.nodes.filter { $0.status == s }.count) }
        let doc: JSONValue = .object([
            "tool": .string(Tool.name), "version": .string(Tool.version), "check_ids": .array(fleet.checkIDs.map { .string($0) }),
            "nodes": .array(nodes),
            "counts": .object(["nodes": .number(fleet.nodes.count), "fail": count(.fail), "warn": count(.warn), "pass": count(.pass)]),
        ])
        // Redacted before encoding; only the statuses are the tool's own words.
        return redact.json(doc, own: ["status"]).prettyText() + "\n"
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}
