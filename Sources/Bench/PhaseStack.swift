import Foundation
import Startup

/// Where a variant's start-up went: the phases of its median run (the anatomy of its log, and a
/// container's own start), in start-up order. Time the log does not account for is a phase of
/// its own, so the phases always add up to the bar's total.
public struct PhaseStack: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        public var phase: String
        public var ms: Double
    }
    public var variant: String
    public var run: Int
    /// The run's ready time, or the phases' sum where they overshoot it.
    public var totalMs: Double
    public var segments: [Segment]

    /// The phases in the order a start-up passes them.
    public static let order: [String] = AnatomyTable.order
    /// The anatomy's own name for time no known line explains.
    public static let unaccounted = StartupAnatomy.unexplained

    /// nil when the variant has no successful run, and for a wake-up, which starts nothing.
    public init?(_ v: ResultsDocument.Variant) {
        guard v.kind != .wake else { return nil }
        let ok = v.runs.filter { $0.outcome == .ok && $0.readyMs != nil }.sorted { $0.readyMs! < $1.readyMs! }
        guard !ok.isEmpty else { return nil }
        let median = ok[(ok.count - 1) / 2]
        let readyMs = median.readyMs!
        let phases = median.phasesS
        let known = Self.order.filter { phases[$0] != nil }
        let others = phases.keys.filter { !Self.order.contains($0) }.sorted()
        var segments = (known.filter { $0 != Self.unaccounted } + others).map { Segment(phase: $0, ms: phases[$0]! * 1000) }
            .filter { $0.ms > 0 }
        // The log's own unaccounted time, or all that the named phases leave of ready if more.
        let named = segments.reduce(0) { $0 + $1.ms }
        let rest = max((phases[Self.unaccounted] ?? 0) * 1000, readyMs - named)
        if rest > 0 { segments.append(Segment(phase: Self.unaccounted, ms: rest)) }
        variant = v.name
        run = median.run
        self.segments = segments
        totalMs = segments.reduce(0) { $0 + $1.ms }
    }

    /// A summary's stack, through the document bench writes (the chart draws from the file's values).
    public init?(_ summary: VariantSummary) { self.init(ResultsDocument.Variant(summary, warmups: [])) }

    /// How a phase is named on the chart.
    public static func label(_ phase: String) -> String {
        phase == unaccounted ? "not in the log" : phase.replacingOccurrences(of: "_", with: " ")
    }
}
