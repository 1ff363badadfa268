import Foundation

/// The restart chart: one horizontal bar per variant, the median run split into the phases of
/// its start-up (`PhaseStack`), a tick for every run's ready time, and the median written at the
/// bar's end with its speed-up. A light dashed line marks vLLM as given where the results know it
/// (`ResultsDocument.asGivenVariant`, or the plan's reference file). Drawn from the results
/// document, so a file read back draws as bench drew it. 900 px wide: the title, key and footer
/// wrap, a name wider than 210 px is cut; only very long value texts widen it. One time axis, round ticks.
public enum ReadyChart {
    /// A colour per phase, in start-up order (`PhaseStack.order`); neighbours differ in hue
    /// and lightness. "Not in the log" is always light grey; phases beyond the list reuse it from the start.
    static let phaseColors = ["#8c6d31", "#e7ba52", "#6b6ecf", "#3182bd", "#9ecae1", "#d6616b", "#e6550d",
                              "#31a354", "#a1d99b", "#756bb1", "#17becf", "#bd9e39", "#393b79", "#ce6dbd"]
    static let unaccountedColor = "#cccccc"
    /// What a README column or a laptop window shows unscaled.
    static let width = 900.0

    static func color(_ phase: String) -> String {
        if phase == PhaseStack.unaccounted { return unaccountedColor }
        let known = PhaseStack.order.filter { $0 != PhaseStack.unaccounted }
        return phaseColors[(known.firstIndex(of: phase) ?? known.count) % phaseColors.count]
    }

    public static func svg(_ results: BenchResults) -> String { svg(results.document) }

    /// The chart of a results document (what bench just wrote, or a file read back).
    public static func svg(_ doc: ResultsDocument) -> String {
        let groups = doc.variants
        let stacks = groups.map { PhaseStack($0) }
        let reference = doc.asGivenReadyMedianMs.map { (label: doc.asGivenLabel ?? "-", readyMs: $0) }
        let size = 11.0, rowH = 34.0, barH = 20.0
        func width(_ text: String, _ s: Double = size) -> Double { ChartText.width(text, size: s) }
        let okReady = groups.flatMap { $0.runs.filter { $0.outcome == .ok }.compactMap(\.readyMs) }
        let scale = ChartScale(maxMs: max(okReady.max() ?? 1, stacks.compactMap { $0?.totalMs }.max() ?? 0))

        // The speed-up: against vLLM as given where known, else against the first variant.
        let against = reference ?? groups.first.flatMap { f in f.median.readyMs.map { (label: f.name, readyMs: $0) } }
        func valueText(_ s: ResultsDocument.Variant) -> String {
            let ok = s.runs.filter { $0.outcome == .ok && $0.readyMs != nil }.count
            guard let m = s.median.readyMs else { return "no ok run (0/\(s.runs.count))" }
            var t = "median " + scale.value(m)
            if let base = against?.readyMs, m > 0, groups.count > 1 || reference != nil { t += String(format: ", %.2f×", base / m) }
            if ok < s.runs.count { t += ", \(s.runs.count - ok) of \(s.runs.count) run(s) failed" }
            if s.kind == .wake { t += " (wake-up, no restart)" }
            return t
        }
        let values = groups.map(valueText)
        let nameRoom = min(210, groups.map { width($0.name) }.max() ?? 0)
        let left = 10 + nameRoom + 10
        let valueRoom = (values.map { width($0) }.max() ?? 0) + 12
        let title = "Restart: process start to GET /v1/models = 200 (\(doc.mode.rawValue)\(doc.flags.dropCaches ? ", page cache dropped" : "")\(doc.partial ? ", PARTIAL" : ""))"
        let footer = "\(doc.gpu) · \(doc.model ?? "") · \(doc.runs) run(s) per variant"
        let key = "bar: the median run's phases · tick: each run's ready time" + (against.map { " · ×: speed-up against \($0.label)" } ?? "")
        let phases = PhaseStack.order.filter { p in stacks.contains { $0?.segments.contains { $0.phase == p } ?? false } }
            + Set(stacks.flatMap { $0?.segments.map(\.phase) ?? [] }).subtracting(PhaseStack.order).sorted()
        let chartW = max(Self.width, left + 300 + valueRoom).rounded(.up)
        let titleLines = ChartText.wrap(title, size: 13, maxWidth: chartW - 20)
        let captions = ChartText.wrap(key, size: size, maxWidth: chartW - 20) + ChartText.wrap(footer, size: size, maxWidth: chartW - 20)
        let top = 62 + Double(titleLines.count - 1) * 17
        let plotW = chartW - left - valueRoom
        func x(_ ms: Double) -> Double { left + ms / scale.topMs * plotW }
        let plotBottom = top + Double(groups.count) * rowH

        // The legend flows in rows under the axis title.
        var legend: [(phase: String, x: Double, y: Double)] = []
        var lx = 10.0, ly = plotBottom + 48
        for phase in phases {
            let w = 16 + width(PhaseStack.label(phase)) + 14
            if lx + w > chartW - 10 && lx > 10 { lx = 10; ly += 16 }
            legend.append((phase, lx, ly))
            lx += w
        }
        let captionsTop = (legend.last.map { $0.y + 16 } ?? plotBottom + 40) + 16
        let chartH = captionsTop + Double(captions.count - 1) * 16 + 12

        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(chartW))" height="\(Int(chartH.rounded(.up)))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>

        """
        for (i, line) in titleLines.enumerated() { out += ChartText.element(line, x: 10, y: 22 + Double(i) * 17, size: 13) }
        for ms in scale.ticksMs {
            out += "<line x1=\"\(ChartText.f1(x(ms)))\" y1=\"\(top - 6)\" x2=\"\(ChartText.f1(x(ms)))\" y2=\"\(plotBottom)\" stroke=\"#eee\"/>\n"
            out += ChartText.element(scale.tick(ms), x: x(ms), y: plotBottom + 14, anchor: "middle")
        }
        out += "<line x1=\"\(ChartText.f1(left))\" y1=\"\(top - 6)\" x2=\"\(ChartText.f1(left))\" y2=\"\(plotBottom)\" stroke=\"#333\"/>\n"
        out += "<line x1=\"\(ChartText.f1(left))\" y1=\"\(plotBottom)\" x2=\"\(ChartText.f1(x(scale.topMs)))\" y2=\"\(plotBottom)\" stroke=\"#333\"/>\n"
        out += ChartText.element("ready (\(scale.unit.rawValue))", x: left, y: plotBottom + 30)
        if let ref = reference {
            let m = ref.readyMs
            out += "<line class=\"reference\" x1=\"\(ChartText.f1(x(m)))\" y1=\"\(top - 14)\" x2=\"\(ChartText.f1(x(m)))\" y2=\"\(plotBottom)\" stroke=\"#999\" stroke-dasharray=\"5 3\"/>\n"
            out += ChartText.element("vLLM as given (\(ref.label))", x: x(m), y: top - 18, anchor: "middle", fill: "#666")
        }
        for (g, s) in groups.enumerated() {
            let rowTop = top + Double(g) * rowH, barTop = rowTop + (rowH - barH) / 2
            out += ChartText.element(ChartText.fitted(s.name, size: size, maxWidth: nameRoom), x: left - 8, y: barTop + barH / 2 + 4, anchor: "end")
            var end = 0.0
            if let stack = stacks[g] {
                for seg in stack.segments {
                    out += "<rect class=\"phase\" x=\"\(ChartText.f1(x(end)))\" y=\"\(ChartText.f1(barTop))\" width=\"\(ChartText.f1(x(end + seg.ms) - x(end)))\" height=\"\(barH)\" fill=\"\(color(seg.phase))\"><title>\(ChartText.escape(stack.variant)) run \(stack.run): \(PhaseStack.label(seg.phase)) \(scale.value(seg.ms))</title></rect>\n"
                    end += seg.ms
                }
            } else if let m = s.median.readyMs {
                out += "<rect x=\"\(ChartText.f1(left))\" y=\"\(ChartText.f1(barTop))\" width=\"\(ChartText.f1(x(m) - left))\" height=\"\(barH)\" fill=\"#999\"><title>\(ChartText.escape(s.name)): \(scale.value(m))</title></rect>\n"
                end = m
            }
            for r in s.runs where r.outcome == .ok {
                guard let ms = r.readyMs else { continue }
                out += "<line class=\"run\" x1=\"\(ChartText.f1(x(ms)))\" y1=\"\(ChartText.f1(barTop - 3))\" x2=\"\(ChartText.f1(x(ms)))\" y2=\"\(ChartText.f1(barTop + barH + 3))\" stroke=\"#222\"><title>\(ChartText.escape(s.name)) run \(r.run): \(scale.value(ms))</title></line>\n"
            }
            // After the bar and the run ticks next to its end, so no tick crosses the words; an
            // outlier far to the right stays a lone tick and does not pull the words from the bar.
            var at = x(end)
            for ms in s.runs.filter({ $0.outcome == .ok }).compactMap(\.readyMs).sorted() where x(ms) > at && x(ms) - at <= 12 {
                at = x(ms)
            }
            out += ChartText.element(values[g], x: at + 6, y: barTop + barH / 2 + 4, fill: s.median.readyMs == nil ? "#d00" : nil)
        }
        for item in legend {
            out += "<rect x=\"\(ChartText.f1(item.x))\" y=\"\(ChartText.f1(item.y - 9))\" width=\"10\" height=\"10\" fill=\"\(color(item.phase))\"/>\n"
            out += ChartText.element(PhaseStack.label(item.phase), x: item.x + 14, y: item.y)
        }
        for (i, line) in captions.enumerated() { out += ChartText.element(line, x: 10, y: captionsTop + Double(i) * 16, fill: "#555") }
        return out + "</svg>\n"
    }
}
