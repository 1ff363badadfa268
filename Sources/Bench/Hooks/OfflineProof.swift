import DoctorCore
import Foundation
import ServerClient
import SystemProbes
import Runbook
import Basics

/// With --offline, the flags must reach the server. A compose service whose file lacks the
/// `${HF_HUB_OFFLINE:-0}` toggle would run online and "prove" nothing: the run fails, naming it.
/// Checked once per variant, on its first start.
final class OfflineProof: RunHook {
    private var checked: Set<String> = []

    func afterStart(_ run: RunContext, _ server: ServerHandle) -> Bool {
        guard let problem = check(run, server) else { return true }
        return run.fail(problem)
    }

    func check(_ run: RunContext, _ server: ServerHandle) -> String? {
        guard run.plan.offline, !checked.contains(run.variant.name), let c = server as? ContainedServer else { return nil }
        checked.insert(run.variant.name)
        guard let seen = c.environment() else { return nil }
        let wrong = offlineFlagNames.filter { !isTruthyFlag(seen[$0]) }
        if wrong.isEmpty {
            run.record.offlineVerified = offlineFlagNames.map { "\($0)=\(seen[$0] ?? "")" }.joined(separator: " ")
            return nil
        }
        let shown = wrong.map { "\($0)=\(seen[$0] ?? "unset")" }.joined(separator: ", ")
        return "--offline did not reach service \(c.service): its container has \(shown). The compose file needs `\(wrong[0]): ${\(wrong[0]):-0}` in its environment (sllm-doctor fix --only compose-toggle)"
    }
}
