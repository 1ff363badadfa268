import DoctorCore
import Foundation
import ServerClient
import Startup
import SystemProbes
import Runbook
import Basics

/// One run of one variant, as measured.
public struct RunRecord: Sendable {
    public enum Outcome: String, Sendable {
        case ok, crashLoop = "crash-loop", timeout, interrupted, failed
        /// The first reply stopped before the protocol's end: its times would be too short.
        case cutOff = "cut-off"
    }
    public var variant: String
    public var run: Int
    /// When the server process (or `docker compose up`) was started.
    public var spawnedAt: Date?
    public var outcome: Outcome = .ok
    public var readyMs: Double?
    public var ttftMs: Double?
    public var firstCompletionS: Double?
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var exitStatus: String?
    public var stopMs: Double?
    public var stopHow: String?
    public var diagnosis: String?
    /// The crash diagnosis' code (`hf-cache-missing-offline`, `port-in-use`, …) for scripts.
    public var cause: String?
    public var lastLines: [String] = []
    /// Tokens per second of the fixed-length decode probe (`bench --explore`).
    public var decodeTokensPerS: Double?
    /// torch.compile's cache, from the log: "hit" or "miss" (nil: no compile lines).
    public var compileCache: String?
    /// Cache-key folders (VLLM_CACHE_ROOT/torch_compile_cache/<hash>) this run created.
    public var newCompileCacheKeys: [String] = []
    /// Compose: from `up` to the container's own start (image and volume set-up included).
    public var containerStartMs: Double?
    /// When bench saw the server end before ready, from the spawn.
    public var crashSeenMs: Double?
    /// Offline flags as the container saw them (`docker inspect` Config.Env), checked once per variant.
    public var offlineVerified: String?
    public var logPath: String?
    public var cachesDropped = false
    public var storeRestarted = false
    /// How long the store restart took until the store was running again.
    public var storeRestartMs: Double?
    /// A template variant's template restart before this run (cold runs, after a crash).
    public var templateRestartMs: Double?
    /// A snapshot variant's restore: the image and the restorer's figures (SnapshotRuns.swift).
    public var snapshot: SnapshotRestore?
    /// What nvidia-smi showed on the GPU after this run's server stopped.
    public var gpuAfterStop: String?
    public var phases: [String: Double] = [:]
    public var findings: [String] = []
    // Wake variants.
    public var sleepMs: Double?
    public var gpuBeforeSleepMiB: Int?
    public var gpuAfterSleepMiB: Int?
    /// GPU memory the sleep freed (vLLM's "Sleep mode freed X GiB").
    public var sleepFreedGiB: Double?
    /// CPU memory holding the sleeping weights (vLLM's "of which X GiB is backed up in CPU").
    public var sleepCPUBackupGiB: Double?
    public var note: String?
    /// The wall time this run spent on things that are not the server's own start/stop.
    public var wallS: Double = 0
}
