import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// Facts about where the benchmark ran, for the results and the table row.
public struct BenchHost: Sendable {
    public var timestamp: Date
    public var gitSHA: String
    public var host: String
    public var gpu: String

    public static func probe(root: String, commands: CommandRunning) -> BenchHost {
        // The benchmarked repository's HEAD (the folder holding .env and vllm_bridge/), not the tool's.
        var sha = "-"
        if FileFacts.gitWorkTree(containing: root) != nil,
           case .success(let o) = commands.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], timeout: 5), o.status == 0 {
            sha = o.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var gpu = "none"
        if case .ok(let inv) = GPUInventory.query(commands), !inv.gpus.isEmpty { gpu = inv.summary }
        return BenchHost(timestamp: Date(), gitSHA: sha, host: hostName(), gpu: gpu)
    }

    /// What `hostname` prints (gethostname): Foundation's hostName may resolve to an FQDN or an address.
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "-" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

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

public struct BenchResults: Sendable {
    public var plan: BenchPlan
    public var host: BenchHost
    public var summaries: [VariantSummary] { didSet { explore = ExploreReport(summaries: summaries) } }
    /// The knobs' table over the summaries, built once for the JSON, the README, the chart
    /// and the terminal (meaningful when the plan explored).
    public private(set) var explore: ExploreReport
    public var partial: Bool
    /// Starts before a variant's first run that are not counted (`warmup_runs`).
    public var warmups: [RunRecord] = []
    /// Why the results are partial: "interrupted", or what stopped the runs.
    public var partialReason: String?
    public var wallS: Double
    public var files: (json: String, svg: String, logs: String)?
    /// Warm interpreter templates bench ran (their starts are timed apart from the runs).
    public var templates: [TemplateReport] = []
    /// Snapshot variants' images (made once, timed apart from the runs, or found made).
    public var snapshots: [SnapshotReport] = []

    public init(plan: BenchPlan, host: BenchHost, summaries: [VariantSummary], partial: Bool, partialReason: String? = nil, wallS: Double) {
        self.plan = plan; self.host = host; self.summaries = summaries; self.partial = partial; self.wallS = wallS
        self.explore = ExploreReport(summaries: summaries)
        self.partialReason = partial ? (partialReason ?? "interrupted") : nil
    }

    /// Every run finished ok and nothing stopped the bench early.
    public var allOK: Bool { !partial && summaries.allSatisfy { $0.runs.allSatisfy { $0.outcome == .ok } } }

    /// Total wall time spent outside the servers' own start (to ready) and stop.
    public var overheadS: Double {
        var serverTime = 0.0
        for s in summaries {
            for r in s.runs + (s.coldStart.map { [$0] } ?? []) {
                let ready: Double = (r.readyMs ?? 0) / 1000
                let stop: Double = (r.stopMs ?? 0) / 1000
                let sleep: Double = (r.sleepMs ?? 0) / 1000
                serverTime += ready + stop + sleep + (r.firstCompletionS ?? 0)
            }
        }
        return max(0, wallS - serverTime)
    }

    /// The results as the file keeps them (rounded), for the JSON and every report over it.
    public var document: ResultsDocument { ResultsDocument(self) }
}

func round1(_ v: Double) -> Double { (v * 10).rounded() / 10 }
func round2(_ v: Double) -> Double { (v * 100).rounded() / 100 }
func round4(_ v: Double) -> Double { (v * 10000).rounded() / 10000 }
