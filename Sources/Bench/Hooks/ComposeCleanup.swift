import DoctorCore
import Foundation
import ServerClient
import SystemProbes
import Runbook
import Basics

/// A compose run starts from no container of its service: one left by an earlier start (or
/// another bench) is removed before the port is checked.
final class ComposeCleanup: RunHook {
    var slot: RunHookSlot { .leftovers }
    func prepare(_ run: RunContext) -> Bool {
        if case .compose(_, _, _, let container, _) = run.variant.launch {
            _ = run.env.commands.run(["docker", "rm", "-f", container], timeout: 30)
        }
        return true
    }
}
