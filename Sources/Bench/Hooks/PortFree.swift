import DoctorCore
import Foundation
import ServerClient
import SystemProbes
import Runbook
import Basics

/// A run starts with nothing listening on its port: else bench would measure whatever answers there.
final class PortFree: RunHook {
    var slot: RunHookSlot { .cleanState }
    func prepare(_ run: RunContext) -> Bool {
        guard HTTPClient.isListening(host: run.plan.host, port: run.variant.port) else { return true }
        return run.fail("port \(run.variant.port) is already in use before the start: stop whatever listens there (ss -ltnp)")
    }
}
