import Foundation

/// `bench --explore`'s chart: one horizontal bar per knob (ready median), the decode change
/// written beside it, the chosen configuration in green, the wake-up in grey (not a restart).
public enum ExploreChart {
    public static func svg(_ results: BenchResults) -> String {
        var doc = results.document
        if doc.explore == nil { doc.explore = ResultsDocument.Explore(results.explore) }
        return svg(doc)
    }

    /// The chart of a results document's explore table (an empty one when it has none).
    public static func svg(_ doc: ResultsDocument) -> String {
        let report = doc.explore ?? ResultsDocument.Explore(rows: [], fastestKeepingDecode: nil, decodeTolerancePct: ExploreReport.tolerancePct,
                                                            verdict: "no reference run finished: nothing to compare")
        let top = 46.0, rowH = 26.0, plotW = 460.0, size = 11.0
        func width(_ text: String, _ s: Double = size) -> Double { ChartText.width(text, size: s) }
        let left = max(150, (report.rows.map { width($0.variant) }.max() ?? 0) + 16)
        let height = top + Double(report.rows.count) * rowH + 50
        let maxS = max(0.001, report.rows.compactMap(\.readyMedianS).max() ?? 1) * 1.05
        func valueText(_ r: ResultsDocument.ExploreRow, _ s: Double) -> String {
            "\(String(format: "%.2f s", s))\(r.decodeChangePct.map { String(format: ", decode %+.1f %%", $0) } ?? "")\(r.kind == .wake ? " (wake-up)" : "")"
        }
        let title = "Start-up knobs: process start to GET /v1/models = 200 (median), and decode speed after"
        let footer = "\(doc.gpu) · \(doc.model ?? "") · \(doc.runs) run(s) per knob · green = fastest keeping decode within \(Int(report.decodeTolerancePct)) %"
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
            let color = r.kind == .wake ? "#999" : (r.variant == report.fastestKeepingDecode ? "#2e9e44" : (i == 0 ? "#4472c4" : "#8fa8d8"))
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
