/// bench's flags as values: what the user asked for beyond the plan file.
public struct BenchOptions: Sendable {
    public var mode: BenchMode = .restart
    public var runs: Int?
    public var dropCaches = false
    public var offline = false
    public var note = ""
    public var readyTimeout: Double?
    public var stopGrace: Double?
    public var wake = false
    public var explore = false
    public var knobs: [String] = []
    public var sleepLevel2 = false
    public init() {}

    /// The numbers in range and the flags that need each other; PlanError names the flag.
    public func validate() throws {
        if !knobs.isEmpty && !explore { throw PlanError("--knobs chooses among --explore's knobs: add --explore", key: "--knobs") }
        if let runs, !PlanNumber.runs.contains(runs) {
            throw PlanError("--runs \(runs): expected \(PlanNumber.runs.lowerBound)-\(PlanNumber.runs.upperBound)", key: "--runs")
        }
        if let readyTimeout { try PlanNumber.check(readyTimeout, key: "--ready-timeout", in: PlanNumber.readyTimeout, at: "command line") }
        if let stopGrace { try PlanNumber.check(stopGrace, key: "--stop-grace", in: PlanNumber.stopGrace, at: "command line") }
        if explore && wake { throw ExploreError("--explore already includes a sleep-mode variant: drop --wake") }
    }
}
