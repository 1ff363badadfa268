import DoctorCore
import Foundation
import ServerClient
import SystemProbes
import Runbook
import Basics

/// `--drop-caches`: the page cache is emptied before each start (and before each wake), so
/// the weights come from the disk.
final class DropCaches: RunHook {
    var slot: RunHookSlot { .host }
    func prepare(_ run: RunContext) -> Bool {
        guard let e = Self.drop(&run.record, plan: run.plan, env: run.env) else { return true }
        return run.fail(e)
    }

    /// nil when done (or not asked for); else why it could not be done.
    static func drop(_ r: inout RunRecord, plan: BenchPlan, env: BenchEnvironment) -> String? {
        guard plan.dropCaches else { return nil }
        guard env.isRoot else { return "--drop-caches needs root (writes /proc/sys/vm/drop_caches): re-run with sudo" }
        sync()
        guard let f = fopen("/proc/sys/vm/drop_caches", "w") else {
            return "cannot open /proc/sys/vm/drop_caches: \(String(cString: strerror(errno)))"
        }
        fputs("3\n", f)
        let rc = fclose(f)
        if rc != 0 { return "writing /proc/sys/vm/drop_caches failed: \(String(cString: strerror(errno)))" }
        r.cachesDropped = true
        return nil
    }
}
