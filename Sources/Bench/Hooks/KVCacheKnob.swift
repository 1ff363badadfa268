import DoctorCore
import Foundation
import Startup
import SystemProbes
import Runbook
import Basics

/// Skipping vLLM's KV-cache memory profile: a start that profiled logs "Available KV cache
/// memory: X GiB"; a later start given `--kv-cache-memory-bytes` with that size reserves it at
/// once ("reserved X GiB memory for KV Cache ... skipped memory profiling"). Watches every
/// start's log; fills in the flag for `kv_cache_from_log` variants.
final class KVCacheKnob: RunHook {
    var slot: RunHookSlot { .observer }
    /// The size (bytes) the last start that profiled memory logged.
    private(set) var loggedBytes: Int?

    /// Bytes from vLLM's "Available KV cache memory: X GiB" (the last such line), nil without one.
    static func loggedKVCacheBytes(_ lines: [String]) -> Int? {
        for line in lines.reversed() {
            guard let r = line.range(of: "Available KV cache memory: ") else { continue }
            let number = line[r.upperBound...].prefix { $0.isNumber || $0 == "." }
            if let gib = Double(number), gib > 0 { return Int(gib * 1_073_741_824) }
        }
        return nil
    }

    func willStart(_ run: RunContext) throws { run.started = try withLoggedSize(run.started) }

    /// After a run: keep the size a profiling start logged (not one that was given the size).
    func conclude(_ run: RunContext, _ lines: [TimedLine]) {
        let v = run.variant
        if v.kvCacheFromLog {
            if let b = bytesGiven(v) { run.record.note = [run.record.note, "--kv-cache-memory-bytes \(b) (from an earlier start's log)"].compactMap { $0 }.joined(separator: "; ") }
            return
        }
        if let b = Self.loggedKVCacheBytes(lines.map(\.text)) { loggedBytes = b }
    }

    func bytesGiven(_ v: Variant) -> Int? {
        guard case .command(let argv, _, _) = v.launch, let i = argv.lastIndex(of: "--kv-cache-memory-bytes"), i + 1 < argv.count else { return loggedBytes }
        return Int(argv[i + 1])
    }

    /// The variant as started: with the logged size added when it asks for it.
    func withLoggedSize(_ v: Variant) throws -> Variant {
        guard v.kvCacheFromLog, case .command(let argv, let env, let cwd) = v.launch else { return v }
        guard let bytes = loggedBytes else {
            throw LaunchError("\(v.name) takes --kv-cache-memory-bytes from an earlier start's log, but no start so far logged \"Available KV cache memory\" (run the reference first, without the flag)")
        }
        var out = v
        out.launch = .command(argv: Explore.removing(["--kv-cache-memory-bytes"], from: argv) + ["--kv-cache-memory-bytes", String(bytes)], env: env, cwd: cwd)
        return out
    }
}
