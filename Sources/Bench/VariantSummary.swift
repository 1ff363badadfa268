import Basics

/// Per-variant medians over successful runs (wake variants: run 0 is the cold start, kept apart).
public struct VariantSummary: Sendable {
    public var variant: Variant
    public var runs: [RunRecord]
    public var coldStart: RunRecord?
    public var readyMedianMs: Double?
    public var ttftMedianMs: Double?
    public var completionMedianS: Double?
    public var speedup: Double?
    public var phaseMedians: [String: Double]

    public static func summarize(_ plan: BenchPlan, _ records: [RunRecord]) -> [VariantSummary] {
        let out = plan.variants.map { summary(of: $0, records) }
        return out.map { $0.withSpeedup(over: out.first) }
    }

    /// One variant's medians over its ok runs; no speed-up yet (that needs the baseline's).
    public static func summary(of v: Variant, _ records: [RunRecord]) -> VariantSummary {
        let mine = records.filter { $0.variant == v.name && $0.run > 0 }
        let ok = mine.filter { $0.outcome == .ok }
        var phases: [String: Double] = [:]
        for key in Set(ok.flatMap { $0.phases.keys }) {
            phases[key] = median(ok.compactMap { $0.phases[key] })
        }
        return VariantSummary(variant: v, runs: mine, coldStart: records.first { $0.variant == v.name && $0.run == 0 },
                              readyMedianMs: median(ok.compactMap(\.readyMs)), ttftMedianMs: median(ok.compactMap(\.ttftMs)),
                              completionMedianS: median(ok.compactMap(\.firstCompletionS)), speedup: nil, phaseMedians: phases)
    }

    /// The speed-up against the baseline (the first variant): its ready median over this one's.
    public func withSpeedup(over baseline: VariantSummary?) -> VariantSummary {
        var s = self
        if let base = baseline?.readyMedianMs, base > 0 { s.speedup = readyMedianMs.map { base / $0 } }
        return s
    }
}
