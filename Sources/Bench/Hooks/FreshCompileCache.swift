import DoctorCore
import Foundation
import Startup
import SystemProbes
import Runbook
import Basics

/// `fresh_compile_cache: true`: each start gets an empty cache folder beside its log, so
/// torch.compile starts from nothing; the folder goes once the run stopped.
final class FreshCompileCache: RunHook {
    var slot: RunHookSlot { .observer }
    private var dirs: [String] = []

    func willStart(_ run: RunContext) throws {
        guard run.variant.freshCompileCache else { return }
        let v = run.variant
        let log = run.logPath() ?? FileFacts.join(NSTemporaryDirectory(), "sllm-\(getpid())-\(v.name).log")
        let logName = String(log.split(separator: "/").last ?? Substring(v.name))
        let dir = FileFacts.join(FileFacts.parent(of: log), "compile-cache-" + logName.replacingOccurrences(of: ".log", with: ""))
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        run.request.extraEnv["VLLM_CACHE_ROOT"] = dir
        dirs.append(dir)
    }

    func afterStop(_ run: RunContext, _ server: ServerHandle) {
        for dir in dirs { try? FileManager.default.removeItem(atPath: dir) }
        dirs = []
    }
}
