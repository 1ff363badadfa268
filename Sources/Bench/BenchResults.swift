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
