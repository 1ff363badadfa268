import Foundation

/// The scale-up as an SVG: one row per pod, a bar per phase from its creation on, a marker
/// where no node fitted and where Karpenter nominated one, and a red bar for the time a pod
/// spent never becoming Ready.
public enum TimelineChart {
    static let colors: [ScaleUpTimeline.Phase: String] = [
        .node: "#a5a5a5", .setup: "#9ecae1", .pull: "#ed7d31", .start: "#70ad47", .ready: "#4472c4",
    ]

    public static func svg(_ tl: ScaleUpTimeline) -> String {
        let left = 230.0, right = 30.0, top = 50.0, rowH = 22.0, plotW = 640.0
        let span = max(1, tl.capturedUntil - tl.origin)
        let height = top + Double(tl.pods.count) * rowH + 80
        let width = left + plotW + right
        func x(_ t: Double) -> Double { left + (t - tl.origin) / span * plotW }
        let title = tl.allReadyAfter.map { "all \(tl.pods.count) pods Ready after \(KubeTime.span($0))" }
            ?? "\(tl.readyPods.count) of \(tl.pods.count) pods Ready, \(tl.neverReady.count) never"
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="10" y="20" font-size="13">Scale-up timeline: \(escape(title))</text>

        """
        let step = tickStep(span)
        var t = 0.0
        while t <= span + 0.001 {
            let px = x(tl.origin + t)
            out += "<line x1=\"\(f1(px))\" y1=\"\(f1(top - 6))\" x2=\"\(f1(px))\" y2=\"\(f1(top + Double(tl.pods.count) * rowH))\" stroke=\"#eee\"/>\n"
            out += "<text x=\"\(f1(px))\" y=\"\(f1(top - 10))\" text-anchor=\"middle\" fill=\"#555\">+\(KubeTime.span(t))</text>\n"
            t += step
        }
        for (i, pod) in tl.pods.enumerated() {
            let y = top + Double(i) * rowH
            out += "<text x=\"\(f1(left - 8))\" y=\"\(f1(y + 15))\" text-anchor=\"end\">\(escape(pod.name))</text>\n"
            for ph in pod.phases {
                let w = max(1, x(ph.to) - x(ph.from))
                out += "<rect x=\"\(f1(x(ph.from)))\" y=\"\(f1(y + 4))\" width=\"\(f1(w))\" height=\"14\" fill=\"\(colors[ph.phase]!)\"><title>\(escape(pod.name)): \(ph.phase.label) \(KubeTime.span(ph.to - ph.from))</title></rect>\n"
            }
            if pod.ready == nil {
                let from = pod.phases.last?.to ?? pod.created
                out += "<rect x=\"\(f1(x(from)))\" y=\"\(f1(y + 8))\" width=\"\(f1(max(1, x(tl.capturedUntil) - x(from))))\" height=\"6\" fill=\"#d62728\"><title>\(escape(pod.name)): \(escape(pod.notReady ?? "not Ready"))</title></rect>\n"
                out += "<text x=\"\(f1(x(tl.capturedUntil) + 4))\" y=\"\(f1(y + 15))\" fill=\"#d62728\">✗</text>\n"
            }
            if let f = pod.failedScheduling {
                out += "<line x1=\"\(f1(x(f.at)))\" y1=\"\(f1(y + 2))\" x2=\"\(f1(x(f.at)))\" y2=\"\(f1(y + 20))\" stroke=\"#d62728\" stroke-width=\"2\"><title>FailedScheduling: \(escape(f.text))</title></line>\n"
            }
            if let n = pod.nominated {
                out += "<circle cx=\"\(f1(x(n.at)))\" cy=\"\(f1(y + 11))\" r=\"4\" fill=\"#7f3fbf\"><title>Nominated: \(escape(n.text))</title></circle>\n"
            }
        }
        var lx = 10.0
        let ly = top + Double(tl.pods.count) * rowH + 30
        for phase in ScaleUpTimeline.Phase.allCases {
            out += "<rect x=\"\(f1(lx))\" y=\"\(f1(ly - 10))\" width=\"12\" height=\"12\" fill=\"\(colors[phase]!)\"/><text x=\"\(f1(lx + 16))\" y=\"\(f1(ly))\">\(phase.label)</text>\n"
            lx += 30 + Double(phase.label.count) * 6
        }
        out += "<text x=\"10\" y=\"\(f1(ly + 22))\" fill=\"#555\">red tick: FailedScheduling · purple dot: Nominated (Karpenter) · red bar: never Ready · slowest phase: \(escape(tl.slowest.map { "\($0.phase.label) \(KubeTime.span($0.seconds)) on \($0.pod.name)" } ?? "-"))</text>\n"
        return out + "</svg>\n"
    }

    /// A tick every 10 s, 30 s, 1 min, 2 min, 5 min… so that about 6-12 fit.
    static func tickStep(_ span: Double) -> Double {
        for s in [1.0, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200] where span / s <= 12 { return s }
        return (span / 10).rounded(.up)
    }

    static func f1(_ v: Double) -> String { String(format: "%.1f", v) }
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
