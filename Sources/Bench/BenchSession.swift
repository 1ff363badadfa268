import DoctorCore
import Foundation
import Runbook
import Basics

/// A whole bench in one call: a resolved plan and environment in, results out. The plan's
/// runs, then (exploring) the knobs that helped run together, then everything bench started
/// is stopped; each variant is summarised once. The CLI keeps flags, signals and file paths.
public struct BenchSession: Sendable {
    public var plan: BenchPlan
    public var env: BenchEnvironment
    public var host: BenchHost
    /// How variants start (Launcher.standard(); a test gives its own).
    public var launchers: @Sendable () -> [any ServerLauncher]

    public init(plan: BenchPlan, env: BenchEnvironment, host: BenchHost, launchers: @escaping @Sendable () -> [any ServerLauncher] = Launcher.standard) {
        self.plan = plan; self.env = env; self.host = host; self.launchers = launchers
    }

    public func run(interrupt: InterruptFlag = InterruptFlag(), progress: @escaping (String) -> Void = { _ in }) -> BenchResults {
        let started = Date()
        var plan = self.plan
        let runner = BenchRunner(plan: plan, env: env, launchers: launchers(), interrupt: interrupt, progress: progress)
        var records: [RunRecord] = []
        var stopped = runner.runPlanned(into: &records)
        var summaries = VariantSummary.summarize(plan, records)
        if plan.explore, !stopped, let base = plan.variants.first,
           let combined = Explore.combined(from: base, report: ExploreReport(summaries: summaries), variants: plan.variants) {
            // The knobs that helped, together: what the explore table's last row measures.
            progress("[explore] \(combined.knob ?? ""): running it")
            plan.variants.append(combined)
            var more: [RunRecord] = []
            stopped = runner.runRestarts([combined], into: &more)
            summaries.append(VariantSummary.summary(of: combined, more).withSpeedup(over: summaries.first))
        }
        runner.finish()
        var results = BenchResults(plan: plan, host: host, summaries: summaries, partial: stopped || interrupt.isSet,
                                   partialReason: runner.stoppedEarly, wallS: Date().timeIntervalSince(started))
        results.warmups = runner.warmups
        results.templates = runner.templateReports
        results.snapshots = runner.snapshotReports
        return results
    }
}
