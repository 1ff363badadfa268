import Basics
import Foundation
import Startup

/// The terminal's tables after a bench, as column maps over the results document.
enum TerminalReport {
    /// A line of the summary: a variant, or one of its runs that failed (under it).
    enum SummaryLine {
        case variant(ResultsDocument.Variant)
        case failedRun(ResultsDocument.Run)
    }

    static func summaryLines(_ doc: ResultsDocument) -> [SummaryLine] {
        doc.variants.flatMap { v in [.variant(v)] + v.runs.filter { $0.outcome != .ok }.map(SummaryLine.failedRun) }
    }

    static var summary: ReportTable<SummaryLine> {
        func cell(_ variant: @escaping (ResultsDocument.Variant) -> String, _ failed: @escaping (ResultsDocument.Run) -> String = { _ in "" }) -> (SummaryLine) -> String {
            { line in
                switch line {
                case .variant(let v): variant(v)
                case .failedRun(let r): failed(r)
                }
            }
        }
        return ReportTable([
            ReportColumn("variant", .left, cell({ $0.name }, { "  run \($0.run): \($0.outcome.rawValue)" })),
            ReportColumn("ok runs", .right, cell({ "\($0.okRuns)/\($0.runs.count)" }, { $0.diagnosis ?? "" })),
            ReportColumn("ready median (ms)", .right, cell { Cell.ms($0.median.readyMs) }),
            ReportColumn("TTFT median (ms)", .right, cell { Cell.s1($0.median.ttftMs) }),
            ReportColumn("first completion median (s)", .right, cell { Cell.s3($0.median.firstCompletionS) }),
            ReportColumn("speed-up", .right, cell { $0.speedupVsBaseline.map { String(format: "%.2f×", $0) } ?? "-" }),
        ])
    }

    /// bench --explore's knobs, as the terminal showed them (no vLLM-as-given column: the
    /// README's table has it).
    static var knobs: ReportTable<ReadmeReport.ExploreLine> { ReportTable(ReadmeReport.knobColumns(asGiven: false)) }

    /// Each variant's start-up anatomy (median of its ok runs), then the findings of its median run.
    static func phaseTables(_ doc: ResultsDocument) -> String {
        var out = ""
        for v in doc.variants where !v.median.phasesS.isEmpty {
            out += "\nStart-up anatomy, \(v.name) (median of ok runs):\n"
            out += AnatomyTable.render(phases: v.median.phasesS, ready: v.median.readyMs.map { $0 / 1000 })
            let ok = v.runs.filter { $0.outcome == .ok && $0.readyMs != nil }
            if let m = v.median.readyMs, let run = ok.min(by: { abs($0.readyMs! - m) < abs($1.readyMs! - m) }) {
                for f in run.findings { out += "  - \(f)\n" }
            }
        }
        return out
    }
}
