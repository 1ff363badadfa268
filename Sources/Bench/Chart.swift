import Foundation

/// The restart chart: one group of bars per variant (one bar per run's ready time), the median
/// marked with a line and its value, failed runs drawn as red ticks at the baseline; beside
/// them, one stacked bar per variant that splits its median run into the phases of its start-up
/// (`PhaseStack`). One time axis for both, with round ticks and one unit; the picture is as
/// wide as its text needs.
public enum ReadyChart {
    static let palette = ["#4472c4", "#ed7d31", "#70ad47", "#7f6fbf", "#c0504d", "#2aa198"]
    /// A colour per phase, in start-up order (`PhaseStack.order`); "not in the log" is grey.
    static let phaseColors = ["#8c6d31", "#e7ba52", "#6b6ecf", "#3182bd", "#9ecae1", "#d6616b", "#e6550d",
                              "#31a354", "#a1d99b", "#756bb1", "#17becf", "#cccccc"]

    public static func svg(_ results: BenchResults) -> String {
        let groups = results.summaries
        let stacks = groups.compactMap(PhaseStack.init)
        let barW = 18.0, gap = 6.0, groupGap = 40.0, left = 64.0, top = 56.0, plotH = 220.0, size = 11.0
        let maxMs = max(groups.flatMap { $0.runs.compactMap(\.readyMs) }.max() ?? 1, stacks.map(\.totalMs).max() ?? 0)
        let scale = ChartScale(maxMs: maxMs)
        func y(_ ms: Double) -> Double { top + plotH - ms / scale.topMs * plotH }
        func width(_ text: String, _ s: Double = size) -> Double { ChartText.width(text, size: s) }

        // Left panel: a group per variant, as wide as its runs or its label.
        let maxRuns = max(1, groups.map(\.runs.count).max() ?? 1)
        let names = groups.map { s in s.variant.name + (s.speedup.map { String(format: " (%.2f×)", $0) } ?? "") }
        let medianTexts = groups.map { $0.readyMedianMs.map { "median \(scale.value($0))" } ?? "" }
        let groupWidths = groups.indices.map { g in
            max(Double(maxRuns) * (barW + gap), width(names[g]) + 8, width(medianTexts[g]) + 8)
        }
        var x = left + 12
        let groupX = groupWidths.map { w -> Double in defer { x += w + groupGap }; return x }
        let barsEnd = x - groupGap + 10

        // Right panel: a stacked bar per variant, then the legend of the phases that occur.
        let stackW = 26.0
        let stackLabels = stacks.map { "\($0.variant) #\($0.run)" }
        let stackWidths = stackLabels.map { max(stackW + 14, width($0) + 8) }
        let panelTitle = "Where the time went (the median run)"
        let stackStart = barsEnd + 36
        x = stackStart
        let stackX = stackWidths.map { w -> Double in defer { x += w + 10 }; return x }
        let stacksEnd = max(x, stackStart + width(panelTitle))
        let phases = PhaseStack.order.filter { p in stacks.contains { $0.segments.contains { $0.phase == p } } }
            + Set(stacks.flatMap { $0.segments.map(\.phase) }).subtracting(PhaseStack.order).sorted()
        let legendX = stacksEnd + 10, rowH = 15.0
        let legendW = stacks.isEmpty ? 0 : 16 + (phases.map { width(PhaseStack.label($0)) }.max() ?? 0)

        let title = "Time to GET /v1/models = 200, per run (\(results.plan.mode.rawValue)\(results.plan.dropCaches ? ", page cache dropped" : "")\(results.partial ? ", PARTIAL" : ""))"
        let footer = "\(results.host.gpu) · \(results.plan.model ?? "") · \(results.plan.runs) run(s) · dashed line = median"
        let chartW = max(legendX + legendW + 12, 10 + width(title, 13) + 12, 10 + width(footer) + 12)
        let plotBottom = max(top + plotH, top + Double(phases.count) * rowH)
        let chartH = plotBottom + 62

        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(chartW.rounded(.up)))" height="\(Int(chartH))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>

        """
        out += ChartText.element(title, x: 10, y: 20, size: 13)
        out += ChartText.element("ready (\(scale.unit.rawValue))", x: left, y: top - 14, anchor: "end")
        out += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotH)\" stroke=\"#333\"/>\n"
        out += "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(ChartText.f1(stacksEnd))\" y2=\"\(top + plotH)\" stroke=\"#333\"/>\n"
        for ms in scale.ticksMs {
            out += ChartText.element(scale.tick(ms), x: left - 6, y: y(ms) + 4, anchor: "end")
            out += "<line x1=\"\(left)\" y1=\"\(ChartText.f1(y(ms)))\" x2=\"\(ChartText.f1(stacksEnd))\" y2=\"\(ChartText.f1(y(ms)))\" stroke=\"#eee\"/>\n"
        }
        for (g, s) in groups.enumerated() {
            let x0 = groupX[g], w = groupWidths[g]
            let runsW = Double(s.runs.count) * (barW + gap) - gap
            let first = x0 + (w - runsW) / 2
            let color = palette[g % palette.count]
            for (i, r) in s.runs.enumerated() {
                let bx = first + Double(i) * (barW + gap)
                if let ms = r.readyMs, r.outcome == .ok {
                    out += "<rect x=\"\(ChartText.f1(bx))\" y=\"\(ChartText.f1(y(ms)))\" width=\"\(barW)\" height=\"\(ChartText.f1(top + plotH - y(ms)))\" fill=\"\(color)\"><title>\(ChartText.escape(s.variant.name)) run \(r.run): \(scale.value(ms))</title></rect>\n"
                } else {
                    out += "<rect x=\"\(ChartText.f1(bx))\" y=\"\(ChartText.f1(top + plotH - 4))\" width=\"\(barW)\" height=\"4\" fill=\"#d00\"><title>\(ChartText.escape(s.variant.name)) run \(r.run): \(r.outcome.rawValue)</title></rect>\n"
                }
            }
            if let m = s.readyMedianMs {
                out += "<line x1=\"\(ChartText.f1(first - 4))\" y1=\"\(ChartText.f1(y(m)))\" x2=\"\(ChartText.f1(first + runsW + 4))\" y2=\"\(ChartText.f1(y(m)))\" stroke=\"black\" stroke-dasharray=\"4 2\"/>\n"
                out += ChartText.element(medianTexts[g], x: x0 + w / 2, y: y(m) - 5, anchor: "middle")
            }
            out += ChartText.element(names[g], x: x0 + w / 2, y: top + plotH + 16, anchor: "middle")
        }
        if !stacks.isEmpty {
            out += "<line x1=\"\(ChartText.f1(barsEnd + 18))\" y1=\"\(top - 24)\" x2=\"\(ChartText.f1(barsEnd + 18))\" y2=\"\(top + plotH)\" stroke=\"#bbb\"/>\n"
            out += ChartText.element(panelTitle, x: stackStart, y: top - 14)
        }
        for (k, stack) in stacks.enumerated() {
            let bx = stackX[k] + (stackWidths[k] - stackW) / 2
            var below = 0.0
            for seg in stack.segments {
                let color = phaseColors[min(PhaseStack.order.firstIndex(of: seg.phase) ?? phaseColors.count - 1, phaseColors.count - 1)]
                out += "<rect class=\"phase\" x=\"\(ChartText.f1(bx))\" y=\"\(ChartText.f1(y(below + seg.ms)))\" width=\"\(stackW)\" height=\"\(ChartText.f1(y(below) - y(below + seg.ms)))\" fill=\"\(color)\"><title>\(ChartText.escape(stack.variant)) run \(stack.run): \(PhaseStack.label(seg.phase)) \(scale.value(seg.ms))</title></rect>\n"
                below += seg.ms
            }
            out += ChartText.element(stackLabels[k], x: stackX[k] + stackWidths[k] / 2, y: top + plotH + 16, anchor: "middle")
        }
        for (i, phase) in phases.enumerated() {
            let ly = top + Double(i) * rowH
            let color = phaseColors[min(PhaseStack.order.firstIndex(of: phase) ?? phaseColors.count - 1, phaseColors.count - 1)]
            out += "<rect x=\"\(ChartText.f1(legendX))\" y=\"\(ChartText.f1(ly))\" width=\"10\" height=\"10\" fill=\"\(color)\"/>\n"
            out += ChartText.element(PhaseStack.label(phase), x: legendX + 16, y: ly + 9)
        }
        out += ChartText.element(footer, x: 10, y: chartH - 12, fill: "#555")
        return out + "</svg>\n"
    }
}

/// `bench --explore`'s chart: one horizontal bar per knob (ready median), the decode change
/// written beside it, the chosen configuration in green, the wake-up in grey (not a restart).
public enum ExploreChart {
    public static func svg(_ results: BenchResults) -> String {
        let report = results.explore
        let top = 46.0, rowH = 26.0, plotW = 460.0, size = 11.0
        func width(_ text: String, _ s: Double = size) -> Double { ChartText.width(text, size: s) }
        let left = max(150, (report.rows.map { width($0.variant) }.max() ?? 0) + 16)
        let height = top + Double(report.rows.count) * rowH + 50
        let maxS = max(0.001, report.rows.compactMap(\.readyMedianS).max() ?? 1) * 1.05
        func valueText(_ r: ExploreReport.Row, _ s: Double) -> String {
            "\(String(format: "%.2f s", s))\(r.decodeChangePct.map { String(format: ", decode %+.1f %%", $0) } ?? "")\(r.kind == .wake ? " (wake-up)" : "")"
        }
        let title = "Start-up knobs: process start to GET /v1/models = 200 (median), and decode speed after"
        let footer = "\(results.host.gpu) · \(results.plan.model ?? "") · \(results.plan.runs) run(s) per knob · green = fastest keeping decode within \(Int(ExploreReport.tolerancePct)) %"
        let rowEnds = report.rows.map { r in r.readyMedianS.map { left + $0 / maxS * plotW + 6 + width(valueText(r, $0)) }
            ?? left + 6 + width("no ok run (\(r.okRuns)/\(r.runs))") }
        let chartW = max(left + plotW + 200, (rowEnds.max() ?? 0) + 12, 10 + width(title, 13) + 12,
                        10 + width(report.verdict) + 12, 10 + width(footer) + 12).rounded(.up)
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(chartW))" height="\(Int(height))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="10" y="20" font-size="13">\(title)</text>
        <line x1="\(left)" y1="\(top - 6)" x2="\(left)" y2="\(top + Double(report.rows.count) * rowH)" stroke="#333"/>

        """
        for (i, r) in report.rows.enumerated() {
            let y = top + Double(i) * rowH
            let color = r.kind == .wake ? "#999" : (r.variant == report.fastest?.variant ? "#2e9e44" : (i == 0 ? "#4472c4" : "#8fa8d8"))
            out += "<text x=\"\(left - 6)\" y=\"\(ChartText.f1(y + 13))\" text-anchor=\"end\">\(ChartText.escape(r.variant))</text>\n"
            if let s = r.readyMedianS {
                let w = s / maxS * plotW
                out += "<rect x=\"\(left)\" y=\"\(ChartText.f1(y + 2))\" width=\"\(ChartText.f1(max(1, w)))\" height=\"\(rowH - 8)\" fill=\"\(color)\"><title>\(ChartText.escape(r.knob))</title></rect>\n"
                out += "<text x=\"\(ChartText.f1(left + w + 6))\" y=\"\(ChartText.f1(y + 13))\">\(ChartText.escape(valueText(r, s)))</text>\n"
            } else {
                out += "<text x=\"\(left + 6)\" y=\"\(ChartText.f1(y + 13))\" fill=\"#d00\">no ok run (\(r.okRuns)/\(r.runs))</text>\n"
            }
        }
        out += "<text x=\"10\" y=\"\(ChartText.f1(height - 26))\" fill=\"#333\">\(ChartText.escape(report.verdict))</text>\n"
        out += "<text x=\"10\" y=\"\(ChartText.f1(height - 10))\" fill=\"#555\">\(ChartText.escape(footer))</text>\n"
        return out + "</svg>\n"
    }
}
