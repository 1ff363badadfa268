import Foundation

/// The progress lines of a bench: one per step of a run, with the time since the run began and
/// an ETA from the runs so far, and one summary per run.
final class BenchProgress {
    let runs: Int
    let variants: Int
    let say: (String) -> Void
    /// Each counted run's wall time, by variant: the ETA's mean.
    private var durations: [String: [TimeInterval]] = [:]

    init(plan: BenchPlan, say: @escaping (String) -> Void) {
        runs = plan.runs; variants = plan.variants.count; self.say = say
    }

    /// Times one run; its wall time goes into the record and the ETA, its summary to the terminal.
    func timed(_ body: () -> RunContext) -> RunContext {
        let started = Date()
        let run = body()
        run.record = finished(run.record, started: started)
        return run
    }

    private func finished(_ record: RunRecord, started: Date) -> RunRecord {
        var r = record
        r.wallS = Date().timeIntervalSince(started)
        durations[r.variant, default: []].append(r.wallS)
        say(summary(r))
        return r
    }

    /// Times a wake run, as `timed` does a restart run.
    func timed(_ body: () -> RunRecord) -> RunRecord {
        let started = Date()
        return finished(body(), started: started)
    }

    func summary(_ r: RunRecord) -> String {
        switch r.outcome {
        case .ok:
            return "[\(r.variant)] run \(r.run)/\(runs): ready \(fmtMs(r.readyMs)), TTFT \(fmtMs(r.ttftMs)), completion \(r.firstCompletionS.map { String(format: "%.3f s", $0) } ?? "-")"
        default:
            return "[\(r.variant)] run \(r.run)/\(runs): \(r.outcome.rawValue): \(r.diagnosis ?? "")"
        }
    }

    var eta: String {
        let all = durations.values.flatMap { $0 }
        guard !all.isEmpty else { return "" }
        let mean = all.reduce(0, +) / Double(all.count)
        return String(format: ", ETA %.0f s", mean * Double(max(0, runs * variants - all.count)))
    }

    func step(_ v: Variant, _ run: Int, _ phase: String, since: Date) {
        say(String(format: "[%@] run %d/%d: %@ (%.1f s)%@", v.name, run, runs, phase, Date().timeIntervalSince(since), eta))
    }
}

func fmtMs(_ v: Double?) -> String { v.map { String(format: "%.0f ms", $0) } ?? "-" }
