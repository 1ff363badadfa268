import DoctorCore
import Runbook
import Basics

/// Before any server starts: the check catalogue on this host, then the offline gate, which
/// `--ignore` cannot lift (offline servers with a cold cache crash-loop).
public enum BenchPreflight {
    public enum Verdict: Sendable {
        case ready(CheckCounts)
        /// `--offline` with the HF cache (or store) not ready: these reports say why.
        case offlineBlocked([CheckReport])
        /// A snapshot variant, and `snapshot.*` checks failing: a restore would not work here.
        case snapshotBlocked([CheckReport])
        /// Failures: these reports.
        case failed([CheckReport])
    }

    /// `checks`: the subset for this plan (`CheckSubset.benchPreflight`: no compose check for
    /// a plan of plain commands, the snapshot checks for a plan that restores).
    public static func judge(_ context: RunbookFacts, plan: BenchPlan, checks: [any Check<RunbookFacts>], ignore: [String]) throws -> Verdict {
        let reports = try CheckRunner(checks: checks, checkTimeout: context.options.checkTimeout)
            .run(context, selection: Selection(ignore: ignore))
        if plan.offline {
            var needed = ["model.hf-cache"]
            if plan.variants.contains(where: \.serverlessLLM) { needed.append("model.store") }
            let blocking = reports.filter { needed.contains($0.id) && $0.result.status != .pass }
            if !blocking.isEmpty { return .offlineBlocked(blocking) }
        }
        if plan.usesSnapshot {
            // The snapshot profile's checks (the caller passes them for such a plan): unless
            // --ignore covers a failing one, no image is made and nothing is restored.
            let blocking = reports.filter { $0.id.hasPrefix("snapshot.") && $0.result.status == .fail }
            if !blocking.isEmpty { return .snapshotBlocked(blocking) }
        }
        if reports.exitCode(strict: false) != .ok { return .failed(reports.filter { $0.result.status == .fail }) }
        return .ready(CheckCounts(reports))
    }
}
