import SystemProbes
import Basics

/// `fleet timeline`'s outputs: a table per pod with the wait, the pull and Ready, the time
/// until all were Ready, the slowest phase, and why pods never became Ready.
public struct TimelineRenderer: Sendable {
    public var redact = Redactor(secrets: [])
    public init() {}

    func offset(_ t: Double?, _ tl: ScaleUpTimeline) -> String { t.map { "+" + KubeTime.span($0 - tl.origin) } ?? "-" }

    /// Rows as aligned columns, two spaces apart, no trailing spaces.
    /// Cells hold pod, node and event text: each one line with its controls visible.
    static func columns(_ rows: [[String]], indent: String = "") -> String {
        let rows = rows.map { $0.map { TerminalSafe.line($0) } }
        let widths = (0..<(rows.first?.count ?? 0)).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { r in indent + r.enumerated().map { $1.paddedRight(to: widths[$0]) }.joined(separator: "  ").trimmingTrailingSpaces() + "\n" }.joined()
    }

    public func text(_ tl: ScaleUpTimeline, svgPath: String?) -> String {
        let namespaces = Array(Set(tl.pods.map { TerminalSafe.line($0.namespace) })).sorted().joined(separator: ", ")
        var out = "Scale-up of \(tl.pods.count) pod\(tl.pods.count == 1 ? "" : "s") (namespace \(namespaces)): first created \(KubeTime.format(tl.origin)), captured until +\(KubeTime.span(tl.capturedUntil - tl.origin))\n\n"
        var rows: [[String]] = [["pod", "node", "created", "scheduled", "waited for node", "image pull", "started", "ready"]]
        for p in tl.pods {
            let pull: String
            if let s = p.seconds(.pull), let source = p.pullSource { pull = source == "already present" ? "0s (already present)" : "\(KubeTime.span(s)) (\(source))" }
            else { pull = "-" }
            rows.append([p.name, p.node ?? "-", offset(p.created, tl), offset(p.scheduled, tl),
                         p.scheduled.map { KubeTime.span($0 - p.created) } ?? "-", pull, offset(p.started, tl),
                         p.ready != nil ? offset(p.ready, tl) : "never"])
        }
        out += Self.columns(rows)
        out += "\n"
        if let all = tl.allReadyAfter {
            out += "All \(tl.pods.count) pods Ready after \(KubeTime.span(all)).\n"
        } else {
            let last = tl.readyPods.compactMap(\.ready).max()
            out += "\(tl.readyPods.count) of \(tl.pods.count) pods Ready\(last.map { " (the last at +\(KubeTime.span($0 - tl.origin)))" } ?? ""); \(tl.neverReady.count) never became Ready by +\(KubeTime.span(tl.capturedUntil - tl.origin)).\n"
        }
        if let s = tl.slowest {
            out += "Slowest phase: \(s.phase.label), \(KubeTime.span(s.seconds)) on \(TerminalSafe.line(s.pod.name))\(s.phase == .pull ? " (\(TerminalSafe.line(s.pod.pullSource ?? "")))" : "").\n"
        }
        // Each phase over the pods that went through it.
        var table: [[String]] = [["phase", "pods", "median", "max", "slowest pod"]]
        for phase in ScaleUpTimeline.Phase.allCases {
            let spans = tl.pods.compactMap { p in p.seconds(phase).map { (p, $0) } }
            guard let worst = spans.max(by: { $0.1 < $1.1 }) else { continue }
            table.append([phase.label, "\(spans.count)", KubeTime.span(median(spans.map(\.1)) ?? 0), KubeTime.span(worst.1), worst.0.name])
        }
        if table.count > 1 {
            out += "\n"
            out += Self.columns(table, indent: "  ")
        }
        let waited = tl.pods.filter { $0.failedScheduling != nil }
        if !waited.isEmpty {
            out += "\nWaited for a node\n"
            for p in waited {
                var steps = ["FailedScheduling \(offset(p.failedScheduling?.at, tl))"]
                if let n = p.nominated { steps.append("Nominated \(offset(n.at, tl))\(n.text.isEmpty ? "" : " (\(TerminalSafe.line(n.text)))")") }
                steps.append(p.scheduled != nil ? "Scheduled \(offset(p.scheduled, tl))\(p.node.map { " on \(TerminalSafe.line($0))" } ?? "")" : "not scheduled")
                out += "  \(TerminalSafe.line(p.name)): " + steps.joined(separator: " → ") + "\n"
            }
        }
        if !tl.neverReady.isEmpty {
            out += "\nNever Ready\n"
            for p in tl.neverReady { out += "  \(TerminalSafe.line(p.name)): \(TerminalSafe.line(p.notReady ?? "not Ready"))\n" }
        }
        if !tl.alreadyRunning.isEmpty {
            out += "\nAlready running before the scale-up (not timed): "
                + tl.alreadyRunning.map { "\(TerminalSafe.line($0.name)) (Ready \(KubeTime.format($0.ready ?? $0.created)))" }.joined(separator: ", ") + "\n"
        }
        if let svgPath { out += "\nTimeline chart: \(TerminalSafe.line(svgPath))\n" }
        return redact(out)
    }

    public func json(_ tl: ScaleUpTimeline, svgPath: String?) -> String {
        func time(_ t: Double?) -> JSONValue { t.map { .string(KubeTime.format($0)) } ?? .null }
        func secs(_ t: Double?) -> JSONValue { t.map { .number(($0 * 1000).rounded() / 1000) } ?? .null }
        func mark(_ m: ScaleUpTimeline.Mark?) -> JSONValue {
            m.map { .object(["at": .string(KubeTime.format($0.at)), "message": .string($0.text)]) } ?? .null
        }
        let pods: [JSONValue] = tl.pods.map { p in
            var phases: [String: JSONValue] = [:]
            for ph in p.phases { phases[ph.phase.rawValue] = secs(ph.to - ph.from) }
            return .object([
                "name": .string(p.name), "namespace": .string(p.namespace), "node": p.node.map { .string($0) } ?? .null,
                "created": time(p.created), "scheduled": time(p.scheduled), "started": time(p.started), "ready": time(p.ready),
                "failed_scheduling": mark(p.failedScheduling), "nominated": mark(p.nominated),
                "image": p.image.map { .string($0) } ?? .null, "pull_source": p.pullSource.map { .string($0) } ?? .null,
                "pull_started": time(p.pullStart), "pulled": time(p.pullEnd), "pull_without_waiting_s": secs(p.pullTransferSeconds),
                "restarts": .number(p.restarts), "phases_s": .object(phases),
                "ready_after_s": secs(p.ready.map { $0 - tl.origin }), "not_ready": p.notReady.map { .string($0) } ?? .null,
            ])
        }
        let slowest: JSONValue = tl.slowest.map { s in
            .object(["phase": .string(s.phase.rawValue), "label": .string(s.phase.label), "pod": .string(s.pod.name), "seconds": secs(s.seconds)])
        } ?? .null
        let doc: JSONValue = .object([
            "tool": .string(Tool.name), "version": .string(Tool.version),
            "first_created": time(tl.origin), "captured_until": time(tl.capturedUntil),
            "pods": .array(pods), "ready": .number(tl.readyPods.count), "total": .number(tl.pods.count),
            "all_ready_after_s": secs(tl.allReadyAfter), "slowest_phase": slowest,
            "never_ready": .array(tl.neverReady.map { .object(["name": .string($0.name), "reason": .string($0.notReady ?? "not Ready")]) }),
            "already_running": .array(tl.alreadyRunning.map { .string($0.name) }),
            "svg": svgPath.map { .string($0) } ?? .null,
        ])
        // Redacted before encoding; phase names are the tool's own.
        return redact.json(doc, own: ["phase", "label"]).prettyText() + "\n"
    }
}
