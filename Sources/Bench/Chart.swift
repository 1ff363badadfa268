import Foundation

/// A small SVG: one group of bars per variant (one bar per run's ready time), the median
/// marked with a line and its value, failed runs drawn as red ticks at the baseline.
public enum ReadyChart {
    public static func svg(_ results: BenchResults) -> String {
        let groups = results.summaries
        let maxRuns = max(1, groups.map(\.runs.count).max() ?? 1)
        let barW = 18.0, gap = 6.0, groupGap = 70.0, left = 70.0, top = 40.0, plotH = 220.0
        let groupW = Double(maxRuns) * (barW + gap)
        let width = left + Double(groups.count) * (groupW + groupGap) + 20
        let height = top + plotH + 70
        let maxMs = max(1, groups.flatMap { $0.runs.compactMap(\.readyMs) }.max() ?? 1) * 1.1
        func y(_ ms: Double) -> Double { top + plotH - ms / maxMs * plotH }
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(left)" y="20" font-size="13">Time to GET /v1/models = 200, per run (\(results.plan.mode.rawValue)\(results.plan.dropCaches ? ", page cache dropped" : "")\(results.partial ? ", PARTIAL" : ""))</text>
        <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(top + plotH)" stroke="#333"/>
        <line x1="\(left)" y1="\(top + plotH)" x2="\(width - 10)" y2="\(top + plotH)" stroke="#333"/>

        """
        for k in 0...4 {
            let ms = maxMs * Double(k) / 4
            out += "<text x=\"\(left - 6)\" y=\"\(f1(y(ms) + 4))\" text-anchor=\"end\">\(label(ms))</text>\n"
            out += "<line x1=\"\(left)\" y1=\"\(f1(y(ms)))\" x2=\"\(width - 10)\" y2=\"\(f1(y(ms)))\" stroke=\"#eee\"/>\n"
        }
        let palette = ["#4472c4", "#ed7d31", "#70ad47", "#7f6fbf", "#c0504d", "#2aa198"]
        for (g, s) in groups.enumerated() {
            let x0 = left + 10 + Double(g) * (groupW + groupGap)
            let color = palette[g % palette.count]
            for (i, r) in s.runs.enumerated() {
                let x = x0 + Double(i) * (barW + gap)
                if let ms = r.readyMs, r.outcome == .ok {
                    out += "<rect x=\"\(f1(x))\" y=\"\(f1(y(ms)))\" width=\"\(barW)\" height=\"\(f1(top + plotH - y(ms)))\" fill=\"\(color)\"><title>\(s.variant.name) run \(r.run): \(label(ms))</title></rect>\n"
                } else {
                    out += "<rect x=\"\(f1(x))\" y=\"\(f1(top + plotH - 4))\" width=\"\(barW)\" height=\"4\" fill=\"#d00\"><title>\(s.variant.name) run \(r.run): \(r.outcome.rawValue)</title></rect>\n"
                }
            }
            if let m = s.readyMedianMs {
                out += "<line x1=\"\(f1(x0 - 4))\" y1=\"\(f1(y(m)))\" x2=\"\(f1(x0 + groupW))\" y2=\"\(f1(y(m)))\" stroke=\"black\" stroke-dasharray=\"4 2\"/>\n"
                out += "<text x=\"\(f1(x0 + groupW / 2))\" y=\"\(f1(y(m) - 5))\" text-anchor=\"middle\">median \(label(m))</text>\n"
            }
            let speed = s.speedup.map { String(format: " (%.2f×)", $0) } ?? ""
            out += "<text x=\"\(f1(x0 + groupW / 2))\" y=\"\(f1(top + plotH + 16))\" text-anchor=\"middle\">\(escape(s.variant.name))\(speed)</text>\n"
        }
        out += "<text x=\"\(left)\" y=\"\(f1(height - 12))\" fill=\"#555\">\(escape(results.host.gpu)) · \(escape(results.plan.model ?? "")) · \(results.plan.runs) run(s) · dashed line = median</text>\n"
        return out + "</svg>\n"
    }

    static func f1(_ v: Double) -> String { String(format: "%.1f", v) }
    static func label(_ ms: Double) -> String { ms >= 10_000 ? String(format: "%.1f s", ms / 1000) : String(format: "%.0f ms", ms) }
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// `bench --explore`'s chart: one horizontal bar per knob (ready median), the decode change
/// written beside it, the chosen configuration in green, the wake-up in grey (not a restart).
public enum ExploreChart {
    public static func svg(_ results: BenchResults) -> String {
        let report = ExploreReport(summaries: results.summaries)
        let left = 150.0, top = 46.0, rowH = 26.0, plotW = 460.0
        let height = top + Double(report.rows.count) * rowH + 50
        let width = left + plotW + 200
        let maxS = max(0.001, report.rows.compactMap(\.readyMedianS).max() ?? 1) * 1.05
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="10" y="20" font-size="13">Start-up knobs: process start to GET /v1/models = 200 (median), and decode speed after</text>
        <line x1="\(left)" y1="\(top - 6)" x2="\(left)" y2="\(top + Double(report.rows.count) * rowH)" stroke="#333"/>

        """
        for (i, r) in report.rows.enumerated() {
            let y = top + Double(i) * rowH
            let color = r.kind == .wake ? "#999" : (r.variant == report.fastest?.variant ? "#2e9e44" : (i == 0 ? "#4472c4" : "#8fa8d8"))
            out += "<text x=\"\(left - 6)\" y=\"\(ReadyChart.f1(y + 13))\" text-anchor=\"end\">\(ReadyChart.escape(r.variant))</text>\n"
            if let s = r.readyMedianS {
                let w = s / maxS * plotW
                out += "<rect x=\"\(left)\" y=\"\(ReadyChart.f1(y + 2))\" width=\"\(ReadyChart.f1(max(1, w)))\" height=\"\(rowH - 8)\" fill=\"\(color)\"><title>\(ReadyChart.escape(r.knob))</title></rect>\n"
                let decode = r.decodeChangePct.map { String(format: ", decode %+.1f %%", $0) } ?? ""
                out += "<text x=\"\(ReadyChart.f1(left + w + 6))\" y=\"\(ReadyChart.f1(y + 13))\">\(String(format: "%.2f s", s))\(decode)\(r.kind == .wake ? " (wake-up)" : "")</text>\n"
            } else {
                out += "<text x=\"\(left + 6)\" y=\"\(ReadyChart.f1(y + 13))\" fill=\"#d00\">no ok run (\(r.okRuns)/\(r.runs))</text>\n"
            }
        }
        out += "<text x=\"10\" y=\"\(ReadyChart.f1(height - 26))\" fill=\"#333\">\(ReadyChart.escape(report.verdict))</text>\n"
        out += "<text x=\"10\" y=\"\(ReadyChart.f1(height - 10))\" fill=\"#555\">\(ReadyChart.escape(results.host.gpu)) · \(ReadyChart.escape(results.plan.model ?? "")) · \(results.plan.runs) run(s) per knob · green = fastest keeping decode within \(Int(ExploreReport.tolerancePct)) %</text>\n"
        return out + "</svg>\n"
    }
}
