import DoctorCore
import Foundation
import ServerClient
import SystemProbes
import Runbook
import Basics

/// A ServerlessLLM variant's cold run restarts the store first: it reads with O_DIRECT and
/// keeps models in pinned RAM, so only a restart empties it.
final class StoreRestart: RunHook {
    var slot: RunHookSlot { .host }

    static func applies(to v: Variant, plan: BenchPlan) -> Bool {
        v.serverlessLLM && (plan.mode == .coldstart || plan.dropCaches) && v.storeRestart != nil
    }

    func prepare(_ run: RunContext) -> Bool {
        guard Self.applies(to: run.variant, plan: run.plan), let cmd = run.variant.storeRestart else { return true }
        let t = Date()
        if case .success(let out) = run.env.commands.run(cmd, timeout: 120), out.status == 0 {
            run.record.storeRestarted = true
            if cmd.first == "docker", cmd.count >= 3, cmd[1] == "restart" { waitRunning(cmd.last!, run.env.commands) }
            let ms = Date().timeIntervalSince(t) * 1000
            run.record.storeRestartMs = ms
            run.log(String(format: "store restarted, up again after %.0f ms", ms))
        } else { run.record.note = "store restart failed: \(cmd.joined(separator: " "))" }
        return true
    }

    /// After `docker restart NAME`: until the container runs again (bounded).
    func waitRunning(_ container: String, _ commands: CommandRunning) {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if case .success(let o) = commands.run(["docker", "inspect", "-f", "{{.State.Running}}", container], timeout: 5),
               o.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "true" { return }
            usleep(20_000)
        }
    }
}
