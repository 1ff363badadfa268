import Foundation
import ServerClient
import SystemProbes
import Basics

/// Host counters the diagnosis table reads: bytes read from disks and the page cache size.
public struct HostCounters: Sendable {
    public var diskReadBytes: UInt64
    public var pageCacheBytes: UInt64

    public static func read() -> HostCounters {
        var sectors: UInt64 = 0
        // Whole disks only (a partition or a loop device would count the same bytes twice).
        let disk = try! Regex(#"^(sd[a-z]+|vd[a-z]+|xvd[a-z]+|hd[a-z]+|nvme\d+n\d+)$"#)
        for line in ((try? FileFacts.readText("/proc/diskstats")) ?? "").split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count > 5, (try? disk.wholeMatch(in: String(f[2]))) != nil else { continue }
            sectors += UInt64(f[5]) ?? 0
        }
        var cached: UInt64 = 0
        for line in ((try? FileFacts.readText("/proc/meminfo")) ?? "").split(separator: "\n") where line.hasPrefix("Cached:") {
            cached = (UInt64(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0) * 1024
        }
        return HostCounters(diskReadBytes: sectors * 512, pageCacheBytes: cached)
    }
}

public struct ProbeSample: Sendable {
    public var label: String
    public var wallS: Double
    public var ttftS: Double?
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var totalTokens: Int? { promptTokens.flatMap { p in completionTokens.map { p + $0 } } }
    public var error: String?
}

/// The seed's Tier-1 probe: cold_1 (first request after a start), warm_1, N warm runs with a
/// fixed payload; streamed TTFT; host and GPU evidence; the verdict the evidence points to.
public struct TTFTProbe: Sendable {
    public var endpoint: HTTPEndpoint
    public var model: String?
    public var prompt = "Say hello from a small language model."
    public var maxTokens = 64
    public var warmRuns = 5
    public var commands: CommandRunning = SystemCommandRunner()
    public init(endpoint: HTTPEndpoint) { self.endpoint = endpoint }

    public struct Report: Sendable {
        public var model: String
        public var gpu: String
        public var gpuBeforeStartMiB: Int?
        public var gpuAfterReadyMiB: Int?
        public var gpuAfterColdMiB: Int?
        public var cold: ProbeSample
        public var warm1: ProbeSample
        public var warm: [ProbeSample]
        public var diskReadDuringColdBytes: UInt64
        public var pageCacheGrowthBytes: Int64
        public var startedServer: Bool
        public var maxTokens: Int

        public var warmWalls: [Double] { warm.map(\.wallS) }
        /// The warm requests that failed (warm_1 first): the report is written, the run failed.
        public var failedWarm: [ProbeSample] { ([warm1] + warm).filter { $0.error != nil } }
        public var warmMedian: Double? { median(warmWalls) }
        public var spreadPercent: Double? {
            guard let m = warmMedian, m > 0, let lo = warmWalls.min(), let hi = warmWalls.max() else { return nil }
            return (hi - lo) / m * 100
        }
        public var coldPenalty: Double? { warmMedian.map { cold.wallS / $0 } }

        /// The diagnosis table (seed 003, section 4.1), decided from the evidence gathered.
        public var verdict: (name: String, why: String) {
            let gpuJump = (gpuAfterColdMiB ?? 0) - (gpuAfterReadyMiB ?? 0)
            let penalty = coldPenalty ?? 1
            if diskReadDuringColdBytes > 64 << 20 || pageCacheGrowthBytes > 64 << 20 {
                return ("A) page cache fill", "cold_1 read \(formatBytes(diskReadDuringColdBytes)) from disk and the page cache grew \(formatBytes(UInt64(max(0, pageCacheGrowthBytes))))")
            }
            if gpuJump > 512 {
                return ("D) first-time KV / buffer allocations", "GPU memory rose \(gpuJump) MiB during cold_1 while the disk stayed quiet")
            }
            if penalty > 1.3 {
                let w1 = warm1.wallS, m = warmMedian ?? w1
                let note = w1 > m * 1.1 ? "warm_1 still slower than the warm median: warm-up continued past cold_1" : "warm requests stable right after cold_1"
                return ("C) runtime warm-up", String(format: "cold_1 is %.2f× the warm median with a quiet disk and no GPU memory jump; %@", penalty, note))
            }
            return ("no significant cold penalty", String(format: "cold_1 is %.2f× the warm median", penalty))
        }
    }

    func sample(_ label: String, model: String) -> ProbeSample {
        let c = StreamedCompletion.send(endpoint: endpoint, model: model, prompt: prompt, maxTokens: maxTokens)
        // A reply cut off (the server died mid-stream) is a failed request, not a fast one.
        let error = c.error ?? (c.finished ? nil : "the reply was cut off (\(c.cutOffSummary))")
        return ProbeSample(label: label, wallS: c.total, ttftS: c.ttft, promptTokens: c.promptTokens,
                           completionTokens: c.completionTokens, error: error)
    }

    func gpuUsed() -> Int? {
        if case .ok(let inv) = GPUInventory.query(commands), !inv.gpus.isEmpty { return inv.memoryUsedMiB }
        return nil
    }

    /// Runs the probe on a server that has just become ready (`gpuBeforeStart` taken before it started).
    public func run(gpuBeforeStart: Int?, startedServer: Bool) throws -> Report {
        guard let r = try? HTTPClient.get(endpoint, "/v1/models", timeout: 10), r.status == 200 else {
            throw StartupRunError("\(endpoint.host):\(endpoint.port): GET /v1/models does not answer 200 (is the server up? pass --restart CMD to start it)")
        }
        let servedModel = model ?? ReadinessPoller.modelID(r.body) ?? ""
        var gpu = "none"
        if case .ok(let inv) = GPUInventory.query(commands), !inv.gpus.isEmpty { gpu = inv.summary }
        let afterReady = gpuUsed()
        let before = HostCounters.read()
        let cold = sample("cold_1", model: servedModel)
        if let e = cold.error { throw StartupRunError("cold_1 failed: \(e)") }
        let after = HostCounters.read()
        let afterCold = gpuUsed()
        let warm1 = sample("warm_1", model: servedModel)
        let warm = (1...max(1, warmRuns)).map { sample(String($0), model: servedModel) }
        return Report(model: servedModel, gpu: gpu, gpuBeforeStartMiB: gpuBeforeStart, gpuAfterReadyMiB: afterReady,
                      gpuAfterColdMiB: afterCold, cold: cold, warm1: warm1, warm: warm,
                      diskReadDuringColdBytes: after.diskReadBytes &- before.diskReadBytes,
                      pageCacheGrowthBytes: Int64(after.pageCacheBytes) - Int64(before.pageCacheBytes),
                      startedServer: startedServer, maxTokens: maxTokens)
    }
}

/// `first_token_latency.md` in the seed template's layout, filled.
public enum ProbeMarkdown {
    public static func render(_ r: TTFTProbe.Report, launch: String, kernel: String, vllmVersion: String) -> String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "" }
        func ms(_ v: Double?) -> String { v.map { String(format: "%.1f", $0 * 1000) } ?? "" }
        func mib(_ v: Int?) -> String { v.map(String.init) ?? "n/a (no nvidia-smi)" }
        var t = """
        # Day 007 — TTFT Baseline (Tier 1)

        ## Server Config
        - MODEL = \(r.model)
        - GPU = \(r.gpu)
        - OS/kernel = \(kernel)
        - vLLM version = \(vllmVersion)
        - Launch flags = \(launch)
        - Notes (anything non-default: quantization, env vars, etc.) = payload fixed: max_tokens=\(r.maxTokens), temperature=0, streamed (TTFT = first token event)

        ## Baseline GPU Snapshot
        - GPU mem used before server start (MiB) = \(r.startedServer ? mib(r.gpuBeforeStartMiB) : "n/a (server already running: use --restart)")
        - GPU mem used after server start, before any request (MiB) = \(mib(r.gpuAfterReadyMiB))
        - GPU mem used after cold_1 (MiB) = \(mib(r.gpuAfterColdMiB))

        ## Cold vs Warm (restart required)
        Procedure:
        1) Restart server
        2) Run probe once → cold_1
        3) Run probe immediately again → warm_1

        | run   | wall_s | ttft_ms | total_tokens | notes |
        |------|--------:|--------:|-------------:|------|
        | cold_1 | \(f(r.cold.wallS)) | \(ms(r.cold.ttftS)) | \(r.cold.totalTokens.map(String.init) ?? "") | first request after server start |
        | warm_1 | \(f(r.warm1.wallS)) | \(ms(r.warm1.ttftS)) | \(r.warm1.totalTokens.map(String.init) ?? "") | immediate second request |

        ## Warm Variance (steady state)
        Run \(r.warm.count) back-to-back probes (no restart).

        | run | wall_s | ttft_ms | total_tokens | notes |
        |----:|-------:|--------:|-------------:|------|

        """
        for s in r.warm { t += "| \(s.label) | \(f(s.wallS)) | \(ms(s.ttftS)) | \(s.totalTokens.map(String.init) ?? "") | \(s.error ?? "") |\n" }
        t += """

        Summary:
        - min_wall_s = \(f(r.warmWalls.min()))
        - median_wall_s = \(f(r.warmMedian))
        - max_wall_s = \(f(r.warmWalls.max()))
        - spread % = \(r.spreadPercent.map { String(format: "%.1f", $0) } ?? "") (max-min)/median
        - cold penalty = cold_1 / warm median = \(r.coldPenalty.map { String(format: "%.2f×", $0) } ?? "")

        ## Sanity Metrics During Cold_1 (evidence for the diagnosis table)
        - disk read during cold_1 = \(formatBytes(r.diskReadDuringColdBytes)) (/proc/diskstats, whole disks)
        - page cache growth during cold_1 = \(r.pageCacheGrowthBytes >= 0 ? formatBytes(UInt64(r.pageCacheGrowthBytes)) : "-" + formatBytes(UInt64(-r.pageCacheGrowthBytes))) (/proc/meminfo Cached)
        - GPU memory jump during cold_1 = \(r.gpuAfterColdMiB.flatMap { a in r.gpuAfterReadyMiB.map { "\(a - $0) MiB" } } ?? "n/a")
        - warm_1 vs warm median = \(r.warmMedian.map { String(format: "%.2f×", r.warm1.wallS / $0) } ?? "")

        ## Interpretation (evidence-based)
        1) What dominated cold_1? **\(r.verdict.name)**: \(r.verdict.why).
        2) Is warm stable? spread \(r.spreadPercent.map { String(format: "%.1f %%", $0) } ?? "?") around a median of \(f(r.warmMedian)) s.
        3) Baseline SLO anchor: warm median wall \(f(r.warmMedian)) s, TTFT median \(ms(median(r.warm.compactMap(\.ttftS)))) ms.
        4) Next knob: \(nextKnob(r))

        """
        return t
    }

    static func nextKnob(_ r: TTFTProbe.Report) -> String {
        switch r.verdict.name.prefix(2) {
        case "A)": return "keep the weights in page cache or on a faster disk (the restart benchmark's --drop-caches shows the cost)."
        case "D)": return "--max-model-len / --gpu-memory-utilization decide the KV commitment; pre-warm with one request after start."
        case "C)": return "send one warm-up request after start (or keep the process alive: sleep mode) before taking traffic."
        default: return "batching and concurrency (--max-num-seqs, --max-num-batched-tokens) under load."
        }
    }
}
