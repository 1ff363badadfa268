import DoctorCore
import Foundation
import ServerClient
import SystemProbes
import Runbook
import Basics

/// A compose run starts from no container of its service: one left by an earlier start (or
/// another bench) is removed before the port is checked.
final class ComposeCleanup: RunHook {
    let container: String
    init(container: String) { self.container = container }
    var slot: RunHookSlot { .leftovers }
    func prepare(_ run: RunContext) -> Bool {
        _ = run.env.commands.run(["docker", "rm", "-f", container], timeout: 30)
        return true
    }
}
