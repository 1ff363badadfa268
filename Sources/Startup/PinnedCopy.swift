import Foundation
import Basics
import SystemProbes

/// The floor under any weight loader on this GPU: a CUDA context, and a copy from pinned host
/// memory to the GPU (what a loader that already holds the bytes in RAM could reach), measured
/// with the host's own torch. Pageable memory alongside, for what a plain read-then-copy gets.
public struct PinnedCopy: Sendable, Equatable {
    public var contextS: Double
    public var pinnedGBPerS: Double
    public var pageableGBPerS: Double
    public var bytes: Int

    /// Device events around each copy, best of three after one warm-up; 4 GiB by default.
    static func script(bytes: Int) -> String {
        """
        import json, time
        import torch
        t = time.perf_counter(); torch.zeros(1, device="cuda"); torch.cuda.synchronize(); ctx = time.perf_counter() - t
        n = \(bytes)
        def rate(host):
            dev = torch.empty(n, dtype=torch.uint8, device="cuda")
            dev.copy_(host, non_blocking=True); torch.cuda.synchronize()
            best = float("inf")
            for _ in range(3):
                a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                a.record(); dev.copy_(host, non_blocking=True); b.record(); b.synchronize()
                best = min(best, a.elapsed_time(b) / 1000)
            return n / best / 1e9
        pinned = rate(torch.randint(0, 255, (n,), dtype=torch.uint8).pin_memory())
        pageable = rate(torch.randint(0, 255, (n,), dtype=torch.uint8))
        print(json.dumps({"context_s": ctx, "pinned_gb_per_s": pinned, "pageable_gb_per_s": pageable, "bytes": n}))
        """
    }

    /// Runs it with `python`; the measurement, or why not (no torch, no CUDA, no GPU).
    public static func measure(python: String, environment: [String: String], bytes: Int = 4 << 30) -> Result<PinnedCopy, StartupInputError> {
        let runner = SystemCommandRunner(environment: environment)
        switch runner.run([python, "-c", script(bytes: bytes)], timeout: 300) {
        case .failure(let e): return .failure(StartupInputError("--pinned-copy \(python): \(e)"))
        case .success(let o):
            guard o.status == 0, let line = o.stdout.split(separator: "\n").last,
                  let obj = try? JSONLite.parse(Array(line.utf8)),
                  let ctx = obj["context_s"]?.double, let pinned = obj["pinned_gb_per_s"]?.double,
                  let pageable = obj["pageable_gb_per_s"]?.double else {
                let said = o.stderr.split(separator: "\n").last.map(String.init) ?? "exit \(o.status)"
                return .failure(StartupInputError("--pinned-copy \(python): cannot measure a host→GPU copy here (\(said))"))
            }
            return .success(PinnedCopy(contextS: ctx, pinnedGBPerS: pinned, pageableGBPerS: pageable, bytes: obj["bytes"]?.int ?? bytes))
        }
    }

    public var summary: String {
        String(format: "CUDA context %.2f s; host→GPU copy of %.0f GiB: pinned %.1f GB/s, pageable %.1f GB/s", contextS,
               Double(bytes) / 1_073_741_824, pinnedGBPerS, pageableGBPerS)
    }

    /// A weights phase against it: its rate and its share of the pinned copy.
    public func judge(variant: String, gib: Double, seconds: Double) -> String {
        let rate = gib * 1_073_741_824 / seconds / 1e9
        let floor = gib * 1_073_741_824 / (pinnedGBPerS * 1e9)
        return String(format: "%@: weights %.2f GiB in %.2f s = %.1f GB/s, %.0f %% of the pinned copy (%.1f GB/s; floor %.2f s)",
                      variant, gib, seconds, rate, rate / pinnedGBPerS * 100, pinnedGBPerS, floor)
    }
}
