import Foundation
import Testing
import TestSupport
@testable import Bench
@testable import DoctorCore
@testable import Runbook
import Basics
import SystemProbes

/// The charts as a reader sees them: every label inside the picture, round ticks in one unit,
/// and the phase bars adding up to the run they split.
@Suite("charts")
struct ChartTests {
    /// A text element of an SVG: where it is drawn and what it says.
    struct Label { var x: Double; var size: Double; var anchor: String; var text: String }

    static func labels(_ svg: String) -> (width: Double, labels: [Label]) {
        let width = Double(svg.firstMatch(of: #/<svg [^>]*width="([0-9.]+)"/#)!.output.1)!
        let labels = svg.matches(of: #/<text ([^>]*)>([^<]*)<\/text>/#).map { m -> Label in
            let attributes = String(m.output.1)
            func attribute(_ name: String) -> String? {
                attributes.firstMatch(of: try! Regex("\(name)=\"([^\"]*)\""))?.output[1].substring.map(String.init)
            }
            let text = String(m.output.2).replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&amp;", with: "&")
            return Label(x: Double(attribute("x")!)!, size: attribute("font-size").flatMap(Double.init) ?? 11,
                         anchor: attribute("text-anchor") ?? "start", text: text)
        }
        return (width, labels)
    }

    /// Each label's drawn extent lies within 0...width.
    static func clipped(_ svg: String) -> [String] {
        let (width, labels) = labels(svg)
        return labels.compactMap { l in
            let w = ChartText.width(l.text, size: l.size)
            let from = l.anchor == "end" ? l.x - w : l.anchor == "middle" ? l.x - w / 2 : l.x
            return from >= 0 && from + w <= width ? nil : "\(l.text): \(Int(from))...\(Int(from + w)) outside 0...\(Int(width))"
        }
    }

    /// Runs whose logs gave phases (the median run's add up to its ready time, compose style)
    /// and one variant without any phase.
    static func results(gpu: String = "NVIDIA H100 80GB HBM3", model: String = "meta-llama/Llama-3.1-8B-Instruct",
                        names: [String] = ["baseline", "faststart"], readyMs: [Double] = [61_000, 24_000]) -> BenchResults {
        let plan = BenchPlan(variants: names.enumerated().map { Variant(name: $0.element, launch: .command(argv: ["x"], env: [:], cwd: nil), port: 8000 + $0.offset) })
        var records: [RunRecord] = []
        for (k, name) in names.enumerated() {
            for i in 1...3 {
                var r = RunRecord(variant: name, run: i)
                r.readyMs = readyMs[k] + Double(i - 2) * 900
                if k == 0 {
                    let s = r.readyMs! / 1000
                    r.phases = ["container_start": 0.6, "interpreter_and_imports": s * 0.2, "weights_load": s * 0.3,
                                "torch_compile": s * 0.25, "cuda_graph_capture": s * 0.15, "first_200_on_models": s * 0.1 - 0.6]
                }
                records.append(r)
            }
        }
        var failed = RunRecord(variant: names[0], run: 4); failed.outcome = .crashLoop
        records.append(failed)
        var p = plan; p.runs = 3; p.model = model; p.dropCaches = true; p.mode = .coldstart
        return BenchResults(plan: p, host: BenchHost(timestamp: Date(timeIntervalSince1970: 1_800_000_000), gitSHA: "abc", host: "h", gpu: gpu),
                            summaries: VariantSummary.summarize(p, records), partial: true, wallS: 10)
    }

    @Test func everyLabelFitsInThePicture() {
        let plain = Self.results()
        #expect(Self.clipped(ReadyChart.svg(plain)) == [])
        let long = Self.results(gpu: "NVIDIA H100 80GB HBM3 (driver 580.95.05, CUDA 13.0, MIG off)",
                                model: "organisation-with-a-long-name/Some-Model-With-A-Very-Long-Name-70B-Instruct-v2",
                                names: ["baseline-with-a-long-name", "faststart_serverless_llm_store", "x"], readyMs: [61_000, 24_000, 900])
        #expect(Self.clipped(ReadyChart.svg(long)) == [])
        // The long title, key and footer wrap instead of widening the picture.
        #expect(Self.labels(ReadyChart.svg(long)).width == 900)
        // The measure itself catches what the chart used to do: a 374 px picture for two
        // variants of three runs, its 13 px title starting at x 70 and running past the edge.
        let before = """
        <svg xmlns="http://www.w3.org/2000/svg" width="374" height="330" font-family="sans-serif" font-size="11">
        <text x="70.0" y="20" font-size="13">Time to GET /v1/models = 200, per run (restart, page cache dropped)</text>
        <text x="58.0" y="40" text-anchor="end">0 ms</text>
        </svg>
        """
        #expect(Self.clipped(before).count == 1)
    }

    @Test func theWidthEstimateIsNotTooKind() {
        // Summed from DejaVu Sans' own advance widths (its hmtx table): 385.3 px at 11 px.
        let w = ChartText.width("Time to GET /v1/models = 200, per run (restart, page cache dropped)", size: 11)
        #expect(w >= 385.3 && w < 395)
        #expect(ChartText.width("WWWW", size: 10) > ChartText.width("iiii", size: 10) * 3)
        #expect(ChartText.width("×", size: 10) == 10)
    }

    @Test(arguments: [0.4, 1, 7, 999, 1000, 2003, 9_500, 10_000, 24_400, 61_900, 95_123, 400_000, 3_600_000])
    func ticksAreRoundAndInOneUnit(_ maxMs: Double) {
        let scale = ChartScale(maxMs: maxMs)
        let power = pow(10, log10(scale.stepMs).rounded(.down))
        let mantissa = (scale.stepMs / power * 1000).rounded() / 1000
        #expect([1.0, 2, 5].contains(mantissa), "step \(scale.stepMs)")
        #expect(scale.topMs >= maxMs && scale.ticksMs.first == 0 && scale.ticksMs.last == scale.topMs)
        #expect((3...6).contains(scale.ticksMs.count - 1), "\(scale.ticksMs)")
        for t in scale.ticksMs {
            let text = scale.tick(t)
            #expect(Double(text) == (t / (scale.unit == .s ? 1000 : 1) * 1e6).rounded() / 1e6, "tick \(t) written \(text)")
        }
        #expect(scale.value(maxMs).hasSuffix(" " + scale.unit.rawValue))
    }

    @Test func theChartUsesOneUnit() {
        let svg = ReadyChart.svg(Self.results())
        #expect(svg.contains("ready (s)"))
        #expect(!svg.contains(" ms<") && !svg.contains(" ms\"") && !svg.contains(" ms,"))
        #expect(svg.contains(">median 61.0 s, 1.00×, 1 of 4 run(s) failed</text>"))
        let small = ReadyChart.svg(Self.results(readyMs: [2000, 1500]))
        #expect(small.contains("ready (ms)") && small.contains(">median 2000 ms, 1.00×") && !small.contains(" s<"))
    }

    @Test func phasesAddUpToTheMedianRun() throws {
        let r = Self.results()
        let stack = try #require(PhaseStack(r.summaries[0]))
        #expect(stack.run == 2)   // the median of 60.1, 61.0 and 61.9 s (the crashed run does not count)
        #expect(abs(stack.totalMs - 61_000) < 0.001)
        #expect(abs(stack.segments.reduce(0) { $0 + $1.ms } - stack.totalMs) < 0.001)
        #expect(stack.segments.map(\.phase) == ["container_start", "interpreter_and_imports", "weights_load", "torch_compile",
                                                "cuda_graph_capture", "first_200_on_models"])
        // No log phases: the whole ready time is one segment the log does not account for.
        let bare = try #require(PhaseStack(r.summaries[1]))
        #expect(bare.segments == [.init(phase: PhaseStack.unaccounted, ms: 24_000)] && bare.totalMs == 24_000)
        // Phases short of ready: the rest is said, not dropped.
        var summary = r.summaries[0]
        for i in summary.runs.indices { summary.runs[i].phases["torch_compile"] = nil }
        let partial = try #require(PhaseStack(summary))
        #expect(partial.segments.last?.phase == PhaseStack.unaccounted)
        #expect(abs(partial.totalMs - 61_000) < 0.001)
        // In the picture: the stacked rects of a variant end where its median run's tick is.
        let svg = ReadyChart.svg(r)
        let rects = svg.matches(of: #/<rect class="phase" x="([0-9.]+)" [^>]*width="([0-9.]+)"[^>]*><title>baseline run 2:/#)
            .map { (x: Double($0.output.1)!, w: Double($0.output.2)!) }
        let tick = try #require(svg.firstMatch(of: #/<line class="run" x1="([0-9.]+)"[^>]*><title>baseline run 2: /#))
        #expect(rects.count == 6)
        #expect(abs(rects.last!.x + rects.last!.w - Double(tick.output.1)!) < 0.2)
        #expect(zip(rects, rects.dropFirst()).allSatisfy { abs($0.x + $0.w - $1.x) < 0.2 })
    }

    @Test func noSuccessfulRunOrAWakeUpNoPhaseBar() {
        var r = Self.results()
        for i in r.summaries[1].runs.indices { r.summaries[1].runs[i].outcome = .timeout }
        #expect(PhaseStack(r.summaries[1]) == nil)
        var wake = Self.results().summaries[0]
        wake.variant.kind = .wake
        #expect(PhaseStack(wake) == nil)
        #expect(Self.clipped(ReadyChart.svg(r)) == [])
    }

    /// Exact output: 900 px wide, one row per variant in plan order, the name left of the bar
    /// and the median with its speed-up at the bar's end, the axis in round seconds.
    @Test func oneHorizontalBarPerVariantAt900Pixels() throws {
        let svg = ReadyChart.svg(Self.results())
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"238\""), "\(svg.prefix(120))")
        // Axis: 61.9 s × 1.08, in steps of 20 s up to 80 s; the left margin is the longest name
        // ("faststart") plus 20 px; the words at the right end get the longest value's width.
        let scale = ChartScale(maxMs: 61_900)
        #expect(scale.stepMs == 20_000 && scale.topMs == 80_000)
        let left = 20 + ChartText.width("faststart", size: 11)
        let valueRoom = ChartText.width("median 61.0 s, 1.00×, 1 of 4 run(s) failed", size: 11) + 12
        let plotW = 900 - left - valueRoom
        func x(_ ms: Double) -> String { String(format: "%.1f", left + ms / 80_000 * plotW) }
        #expect(svg.contains("<text x=\"\(String(format: "%.1f", left - 8))\" y=\"83.0\" font-size=\"11\" text-anchor=\"end\">baseline</text>\n"))
        #expect(svg.contains("<text x=\"\(String(format: "%.1f", left - 8))\" y=\"117.0\" font-size=\"11\" text-anchor=\"end\">faststart</text>\n"))
        #expect(svg.contains("<rect class=\"phase\" x=\"\(x(0))\" y=\"69.0\" width=\"\(String(format: "%.1f", Double(x(600))! - Double(x(0))!))\" height=\"20.0\" fill=\"#8c6d31\"><title>baseline run 2: container start 0.6 s</title></rect>\n"), "\(svg)")
        #expect(svg.contains("<text x=\"\(String(format: "%.1f", Double(x(24_900))! + 6))\" y=\"117.0\" font-size=\"11\" text-anchor=\"start\">median 24.0 s, 2.54×</text>\n"))
        #expect(svg.contains("<text x=\"\(String(format: "%.1f", Double(x(61_900))! + 6))\" y=\"83.0\" font-size=\"11\" text-anchor=\"start\">median 61.0 s, 1.00×, 1 of 4 run(s) failed</text>\n"))
        #expect(svg.contains("<text x=\"\(x(40_000))\" y=\"144.0\" font-size=\"11\" text-anchor=\"middle\">40</text>\n"))
        #expect(!svg.contains("class=\"reference\""))   // no variant is vLLM as given
        #expect(Self.clipped(svg) == [])
    }

    /// A variant named as vLLM as given: a light dashed line at its median, and speed-ups against it.
    @Test func vLLMAsGivenIsAReferenceLine() throws {
        let r = Self.results(names: ["tuned", "vllm-as-given", "faststart"], readyMs: [40_000, 60_000, 20_000])
        #expect(r.document.asGivenVariant?.name == "vllm-as-given")
        let svg = ReadyChart.svg(r)
        let line = try #require(svg.firstMatch(of: #/<line class="reference" x1="([0-9.]+)" y1="48.0" x2="([0-9.]+)" y2="164.0" stroke="#999" stroke-dasharray="5 3"\/>/#))
        let tick = try #require(svg.firstMatch(of: #/<line class="run" x1="([0-9.]+)"[^>]*><title>vllm-as-given run 2: /#))
        #expect(line.output.1 == tick.output.1 && line.output.1 == line.output.2)
        #expect(svg.contains(">vLLM as given (vllm-as-given)</text>"))
        #expect(svg.contains(">median 20.0 s, 3.00×</text>") && svg.contains(">median 40.0 s, 1.50×, 1 of 4 run(s) failed</text>"))
        #expect(svg.contains("×: speed-up against vllm-as-given"))
        // bench --explore's first row is the user's command as given, which may be tuned (the
        // H100's "bytecode-nocompile"): not vLLM as given unless the plan marks it so.
        var explore = Self.results()
        explore.summaries[1].variant.knob = "as given (compile cache as configured)"
        #expect(explore.document.asGivenVariant == nil)
        explore.summaries[1].variant.vllmAsGiven = true
        #expect(explore.document.asGivenVariant?.name == "faststart")
        #expect(Self.clipped(ReadyChart.svg(r)) == [])
        if let dir = ProcessInfo.processInfo.environment["SLLM_CHART_OUT"] {
            try svg.write(toFile: dir + "/as-given.svg", atomically: true, encoding: .utf8)
        }
    }

    /// A committed results file (the H200 run of 2026-11-29), read back and drawn: every variant
    /// a row, every label inside 900 px, the same bytes as the chart drawn from bench's results.
    /// SLLM_CHART_OUT=DIR keeps the SVG to look at.
    @Test func aCommittedResultsFileIsReadable() throws {
        let path = FileFacts.parent(of: FileFacts.parent(of: fixturesDir)) + "/benchmarks/results/restart_20261129_214348.json"
        let doc = try ResultsDocument.read(file: path)
        let svg = ReadyChart.svg(doc)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\""))
        #expect(Self.clipped(svg) == [])
        for v in doc.variants { #expect(svg.contains(">\(v.name)</text>")) }
        #expect(svg.matches(of: #/<rect class="phase" /#).count >= 5 * 5)
        if let dir = ProcessInfo.processInfo.environment["SLLM_CHART_OUT"] {
            try svg.write(toFile: dir + "/restart_20261129_214348.svg", atomically: true, encoding: .utf8)
        }
    }

    /// The chart bench draws after its runs is the chart of the document it writes.
    @Test func benchsChartIsTheChartOfItsDocument() throws {
        let r = Self.results(names: ["tuned", "vllm-as-given", "faststart"], readyMs: [40_000, 60_000, 20_000])
        let reread = try ResultsDocument.parse(r.document.json().prettyText(), file: "r.json")
        #expect(ReadyChart.svg(r) == ReadyChart.svg(reread))
    }

    /// Issue 30: charts are read at 900 px. The committed explore whose verdict names a long
    /// knob (drawn 1816 px wide before) and one with 64-character names and a longer verdict
    /// stay 900 px wide: the verdict and footer wrap, every word of them still drawn, no label
    /// outside the picture. SLLM_CHART_OUT=DIR keeps the SVGs to look at.
    @Test func theExploreChartIsAtMost900PixelsWide() throws {
        let path = FileFacts.parent(of: FileFacts.parent(of: fixturesDir)) + "/benchmarks/results/restart_20261124_170422.json"
        let committed = try ResultsDocument.read(file: path)
        var r = Self.results(names: [String(repeating: "W", count: 64), "m" + String(repeating: "-knob", count: 12), "in-process"],
                             readyMs: [91_400, 67_500, 72_200])
        for i in r.summaries.indices { for j in r.summaries[i].runs.indices { r.summaries[i].runs[j].decodeTokensPerS = 150 } }
        var synthetic = r.document
        synthetic.explore = ResultsDocument.Explore(r.explore)
        synthetic.explore?.verdict = "fastest restart that keeps decode within 5 %: " + String(repeating: "a knob with a long explanation, ", count: 20)
            + String(repeating: "x", count: 300)
        for (name, doc) in [("committed", committed), ("synthetic", synthetic)] {
            let svg = ExploreChart.svg(doc)
            let (width, labels) = Self.labels(svg)
            #expect(width <= 900, "\(name): \(width) px")
            #expect(Self.clipped(svg) == [], "\(name)")
            let verdict = try #require(doc.explore?.verdict)
            let drawn = labels.filter { $0.x == 10 && verdict.contains($0.text) }.map(\.text)
            #expect(drawn.count > 1, "\(name): the verdict is one line")
            #expect(drawn.joined().filter { $0 != " " } == verdict.filter { $0 != " " }, "\(name): \(drawn)")
            if let dir = ProcessInfo.processInfo.environment["SLLM_CHART_OUT"] { try svg.write(toFile: "\(dir)/explore-\(name).svg", atomically: true, encoding: .utf8) }
        }
    }

    /// Wrapped lines keep every word in order, none wider than asked; "5 %" stays on one line;
    /// a word wider than a line is cut at the edge.
    @Test func captionsWrapAtSpaces() {
        let text = "fastest restart that keeps decode within 5 % of safetensors: " + String(repeating: "y", count: 200) + " end"
        let lines = ChartText.wrap(text, size: 11, maxWidth: 300)
        #expect(lines.count >= 4, "\(lines)")
        for line in lines { #expect(ChartText.width(line, size: 11) <= 300, "\(line)") }
        #expect(lines.joined(separator: " ").split(separator: " ").joined(separator: " ").filter { $0 != " " } == text.filter { $0 != " " })
        #expect(!lines.contains { $0.hasPrefix("%") })
        #expect(ChartText.wrap("short", size: 11, maxWidth: 300) == ["short"])
        #expect(ChartText.wrap("", size: 11, maxWidth: 300) == [""])
        #expect(ChartText.fitted("short", size: 11, maxWidth: 300) == "short")
        let cut = ChartText.fitted(String(repeating: "W", count: 64), size: 11, maxWidth: 100)
        #expect(cut.hasSuffix("…") && ChartText.width(cut, size: 11) <= 100, "\(cut)")
    }

    @Test func theExploreChartFitsItsText() {
        var r = Self.results(names: ["safetensors", "graphs-1-8-and-a-long-knob-name", "in-process"], readyMs: [91_400, 67_500, 72_200])
        for i in r.summaries.indices { for j in r.summaries[i].runs.indices { r.summaries[i].runs[j].decodeTokensPerS = 150 } }
        #expect(Self.clipped(ExploreChart.svg(r)) == [])
    }
}
