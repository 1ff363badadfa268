import DoctorCore
import Foundation

/// `bench --explore`: from the first variant's command, one variant per known start-up knob of
/// vLLM, each measured for what it saves before ready and what it costs after (first
/// completion, decode speed on a fixed-length completion).
public enum Explore {
    /// Capture sizes for the "fewer CUDA graphs" knob: the small batch sizes a restart-bound
    /// service mostly sees, instead of vLLM's default list of up to ~67 sizes.
    public static let smallCaptureSizes = [1, 2, 4, 8]
    /// Decode probe length: long enough that the per-token rate dominates the first token.
    public static let decodeTokens = 256
    /// A configuration "keeps" decode when it is within this fraction of the first variant's.
    public static let decodeTolerance = 0.05

    /// The knobs, in the order they are tried. The first variant itself (compile cache as the
    /// user has it) comes first, as the reference.
    public static func variants(from base: Variant) throws -> [Variant] {
        guard case .command(let argv, let env, let cwd) = base.launch, argv.first != "/bin/sh" else {
            throw UsageError("--explore needs the first variant to be a plain command (a list in the plan): it adds vLLM flags to it")
        }
        func with(_ name: String, knob: String, args: [String] = [], dropping: [String] = [], env extra: [String: String] = [:],
                  kind: VariantKind = .restart, freshCache: Bool = false) -> Variant {
            var a = Self.removing(dropping, from: argv)
            a += args
            var v = Variant(name: name, kind: kind, launch: .command(argv: a, env: env.merging(extra) { $1 }, cwd: cwd), port: base.port)
            v.knob = knob
            v.freshCompileCache = freshCache
            return v
        }
        var first = base
        first.knob = first.knob ?? "as given (compile cache as configured)"
        let sizes = "{\"cudagraph_capture_sizes\": [\(smallCaptureSizes.map(String.init).joined(separator: ", "))]}"
        return [
            first,
            with("compile-cold", knob: "empty VLLM_CACHE_ROOT every run (torch.compile from scratch)", freshCache: true),
            with("eager", knob: "--enforce-eager (no torch.compile, no CUDA graphs)", args: ["--enforce-eager"], dropping: ["--enforce-eager"]),
            with("graphs-1-8", knob: "CUDA graphs for batch sizes \(smallCaptureSizes.map(String.init).joined(separator: ",")) only",
                 args: ["--compilation-config", sizes], dropping: ["--compilation-config", "-O"]),
            with("fastsafetensors", knob: "--load-format fastsafetensors", args: ["--load-format", "fastsafetensors"], dropping: ["--load-format"]),
            with("runai_streamer", knob: "--load-format runai_streamer", args: ["--load-format", "runai_streamer"], dropping: ["--load-format"]),
            with("sleep-wake", knob: "sleep mode: the server stays, asleep; this is a wake-up, not a restart", kind: .wake),
        ]
    }

    /// argv without the named flags and their values (`--flag value` and `--flag=value`).
    static func removing(_ flags: [String], from argv: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        let takesNoValue: Set<String> = ["--enforce-eager"]
        while i < argv.count {
            let a = argv[i]
            if flags.contains(a) {
                i += takesNoValue.contains(a) ? 1 : 2
                continue
            }
            if flags.contains(where: { a.hasPrefix($0 + "=") }) { i += 1; continue }
            out.append(a)
            i += 1
        }
        return out
    }
}

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
        let median = { (xs: [Double]) -> Double? in DoctorCore.median(xs) }
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

    public static let header = ["Variant", "Knob", "Runs ok", "Ready median (s)", "Speedup (x)", "First completion (s)",
                                "Decode (tok/s)", "Decode vs first (%)", "Compile cache", "Biggest phases (s)"]

    public func tableRows() -> [[String]] {
        rows.map { r in
            let top = r.phases.filter { $0.value >= 0.05 }.sorted { $0.value > $1.value }.prefix(3)
                .map { "\($0.key) \(String(format: "%.1f", $0.value))" }.joined(separator: ", ")
            return [r.variant + (r.kind == .wake ? " (wake-up)" : ""), r.knob, "\(r.okRuns)/\(r.runs)",
                    r.readyMedianS.map { String(format: "%.2f", $0) } ?? "-", r.speedup.map { String(format: "%.2f", $0) } ?? "-",
                    r.firstCompletionS.map { String(format: "%.3f", $0) } ?? "-", r.decodeTokensPerS.map { String(format: "%.1f", $0) } ?? "-",
                    r.decodeChangePct.map { String(format: "%+.1f", $0) } ?? "-", r.compileCache ?? "-", top.isEmpty ? "-" : top]
        }
    }

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

    public func jsonObject() -> [String: Any] {
        [
            "rows": rows.map { r -> [String: Any] in
                ["variant": r.variant, "knob": r.knob, "kind": r.kind.rawValue, "ok_runs": r.okRuns, "runs": r.runs,
                 "ready_median_s": r.readyMedianS ?? NSNull(), "speedup": r.speedup ?? NSNull(),
                 "first_completion_s": r.firstCompletionS ?? NSNull(), "decode_tokens_per_s": r.decodeTokensPerS ?? NSNull(),
                 "decode_change_pct": r.decodeChangePct ?? NSNull(), "compile_cache": r.compileCache ?? NSNull()]
            },
            "fastest_keeping_decode": fastest?.variant ?? NSNull(),
            "decode_tolerance_pct": Self.tolerancePct,
            "verdict": verdict,
        ]
    }
}
