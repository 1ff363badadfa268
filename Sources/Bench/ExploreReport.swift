import Foundation
import Basics

/// The explore table: each knob's ready time against the reference, and what it costs after.
public struct ExploreReport: Sendable {
    public struct Row: Sendable {
        public var variant: String
        public var knob: String
        public var kind: VariantKind
        public var okRuns: Int
        public var runs: Int
        public var readyMedianS: Double?
        public var speedup: Double?
        public var firstCompletionS: Double?
        public var decodeTokensPerS: Double?
        /// Decode speed against the reference's, in percent (negative: slower).
        public var decodeChangePct: Double?
        public var compileCache: String?
        public var phases: [String: Double]
    }
    public var rows: [Row]
    /// The fastest restart whose decode stays within the tolerance of the reference's.
    public var fastest: Row?
    public var reference: Row? { rows.first }

    public init(summaries: [VariantSummary]) {
        let median = { (xs: [Double]) -> Double? in Basics.median(xs) }
        var rows: [Row] = []
        for s in summaries {
            let ok = s.runs.filter { $0.outcome == .ok }
            let decode = median(ok.compactMap(\.decodeTokensPerS))
            let caches = Set(ok.compactMap(\.compileCache))
            rows.append(Row(variant: s.variant.name, knob: s.variant.knob ?? "-", kind: s.variant.kind, okRuns: ok.count, runs: s.runs.count,
                            readyMedianS: s.readyMedianMs.map { $0 / 1000 }, speedup: s.speedup, firstCompletionS: s.completionMedianS,
                            decodeTokensPerS: decode, decodeChangePct: nil,
                            compileCache: caches.isEmpty ? nil : caches.sorted().joined(separator: "/"), phases: s.phaseMedians))
        }
        if let refDecode = rows.first?.decodeTokensPerS, refDecode > 0 {
            for i in rows.indices { rows[i].decodeChangePct = rows[i].decodeTokensPerS.map { ($0 / refDecode - 1) * 100 } }
        }
        self.rows = rows
        fastest = rows.filter { r in
            r.kind == .restart && r.readyMedianS != nil && (r.decodeChangePct.map { $0 >= -Self.tolerancePct } ?? false)
        }.min { $0.readyMedianS! < $1.readyMedianS! }
    }

    static var tolerancePct: Double { Explore.decodeTolerance * 100 }

    /// One sentence: what to use, and what it costs.
    public var verdict: String {
        guard let ref = reference, let refReady = ref.readyMedianS else { return "no reference run finished: nothing to compare" }
        guard let f = fastest, let ready = f.readyMedianS else {
            return "no restart configuration kept decode within \(Int(Self.tolerancePct)) % of \(ref.variant)'s"
        }
        if f.variant == ref.variant {
            return "fastest restart that keeps decode within \(Int(Self.tolerancePct)) %: \(ref.variant) itself (\(String(format: "%.1f", refReady)) s); no knob helped"
        }
        let cost = f.decodeChangePct.map { String(format: "%+.1f %% decode", $0) } ?? "decode not measured"
        var s = "fastest restart that keeps decode within \(Int(Self.tolerancePct)) %: \(f.variant) (\(f.knob)): "
            + String(format: "%.1f s instead of %.1f s (%.2fx), ", ready, refReady, refReady / ready) + cost
        if let wake = rows.first(where: { $0.kind == .wake }), let w = wake.readyMedianS {
            s += String(format: "; a sleeping server wakes in %.2f s instead (it keeps its process and GPU context)", w)
        }
        return s
    }
}
