import Foundation

/// `bench --explore`'s chart: one horizontal bar per knob (ready median), the decode change
/// written beside it, the chosen configuration in green, the wake-up in grey (not a restart).
/// 900 px wide at most: the verdict and the footer wrap onto more lines.
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
        let rowH = 26.0, size = 11.0, titleSize = 13.0, lineH = 16.0
        // 900 px, never wider: a name wider than 244 px is cut (the bar's tooltip keeps it), the
        // title and captions wrap, and the bars take what the names and the value texts leave.
        let chartW = ReadyChart.width
        func width(_ text: String, _ s: Double = size) -> Double { ChartText.width(text, size: s) }
        let left = min(260, max(150, (report.rows.map { width($0.variant) }.max() ?? 0) + 16))
        let maxS = max(0.001, report.rows.compactMap(\.readyMedianS).max() ?? 1) * 1.05
        func valueText(_ r: ResultsDocument.ExploreRow, _ s: Double) -> String {
            "\(String(format: "%.2f s", s))\(r.decodeChangePct.map { String(format: ", decode %+.1f %%", $0) } ?? "")\(r.kind == .wake ? " (wake-up)" : "")"
        }
        let valueRoom = (report.rows.compactMap { r in r.readyMedianS.map { width(valueText(r, $0)) } }.max() ?? 0) + 12
        let plotW = max(100, chartW - left - valueRoom)
        let title = ChartText.wrap("Start-up knobs: process start to GET /v1/models = 200 (median), and decode speed after",
                                   size: titleSize, maxWidth: chartW - 20)
        let footer = "\(doc.gpu) · \(doc.model ?? "") · \(doc.runs) run(s) per knob · green = fastest keeping decode within \(Int(report.decodeTolerancePct)) %"
        let captions = ChartText.wrap(report.verdict, size: size, maxWidth: chartW - 20).map { ($0, "#333") }
            + ChartText.wrap(footer, size: size, maxWidth: chartW - 20).map { ($0, "#555") }
        let top = 46 + Double(title.count - 1) * (titleSize + 4)
        let plotBottom = top + Double(report.rows.count) * rowH
        let height = plotBottom + 24 + Double(captions.count - 1) * lineH + 10
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(chartW))" height="\(Int(height.rounded(.up)))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>

        """
        for (i, line) in title.enumerated() { out += ChartText.element(line, x: 10, y: 20 + Double(i) * (titleSize + 4), size: titleSize) }
        out += "<line x1=\"\(left)\" y1=\"\(top - 6)\" x2=\"\(left)\" y2=\"\(plotBottom)\" stroke=\"#333\"/>\n"
        for (i, r) in report.rows.enumerated() {
            let y = top + Double(i) * rowH
            let color = r.kind == .wake ? "#999" : (r.variant == report.fastestKeepingDecode ? "#2e9e44" : (i == 0 ? "#4472c4" : "#8fa8d8"))
            out += "<text x=\"\(left - 6)\" y=\"\(ChartText.f1(y + 13))\" text-anchor=\"end\">\(ChartText.escape(ChartText.fitted(r.variant, size: size, maxWidth: left - 16)))</text>\n"
            if let s = r.readyMedianS {
                let w = s / maxS * plotW
                out += "<rect x=\"\(left)\" y=\"\(ChartText.f1(y + 2))\" width=\"\(ChartText.f1(max(1, w)))\" height=\"\(rowH - 8)\" fill=\"\(color)\"><title>\(ChartText.escape(r.variant)): \(ChartText.escape(r.knob))</title></rect>\n"
                out += "<text x=\"\(ChartText.f1(left + w + 6))\" y=\"\(ChartText.f1(y + 13))\">\(ChartText.escape(valueText(r, s)))</text>\n"
            } else {
                out += "<text x=\"\(left + 6)\" y=\"\(ChartText.f1(y + 13))\" fill=\"#d00\">no ok run (\(r.okRuns)/\(r.runs))</text>\n"
            }
        }
        for (i, caption) in captions.enumerated() {
            out += ChartText.element(caption.0, x: 10, y: plotBottom + 24 + Double(i) * lineH, fill: caption.1)
        }
        return out + "</svg>\n"
    }
}
