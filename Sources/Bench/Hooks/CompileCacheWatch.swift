import DoctorCore
import Foundation
import Startup
import SystemProbes
import Runbook
import Basics

/// torch.compile's cache around each start of a command variant: the key folders the start
/// created, and a miss after a hit named with what changed (two starts in a row must both hit).
final class CompileCacheWatch: RunHook {
    var slot: RunHookSlot { .observer }
    /// Each variant's verdict in its previous run.
    private var last: [String: String] = [:]
    /// This run's cache folder and the key folders before its start.
    private var root: String?
    private var keysBefore: [String] = []

    func prepare(_ run: RunContext) -> Bool {
        root = Self.root(run.variant, run.env.processEnvironment)
        keysBefore = root.map(CompileCacheDoctor.keys(root:)) ?? []
        return true
    }

    func conclude(_ run: RunContext, _ lines: [TimedLine]) {
        if let root {
            run.record.newCompileCacheKeys = CompileCacheDoctor.keys(root: root).filter { !keysBefore.contains($0) }
            if run.record.compileCache == "miss", last[run.variant.name] == "hit" {
                let keys = run.record.newCompileCacheKeys
                let what = keys.isEmpty ? "no new key folder (the cache was emptied or is not where the server writes)"
                    : "new key folder \(keys.map { "torch_compile_cache/\($0)" }.joined(separator: ", ")) under \(root)"
                run.record.findings.append("compile cache missed after a hit in the previous run: \(what): a flag, an environment variable, the model or a version in the cache key changed")
            }
        }
        if let c = run.record.compileCache { last[run.variant.name] = c }
    }

    /// Where a plain-command variant's torch.compile cache lives (nil for compose: inside the container).
    static func root(_ v: Variant, _ base: [String: String]) -> String? {
        guard case .command(_, let venv, _) = v.launch else { return nil }
        var environment = base
        for (k, x) in venv { environment[k] = x }
        return CompileCacheDoctor.resolve(environment: environment).path
    }
}
