import DoctorCore
import SystemProbes
import Runbook
import Basics

/// The HF cache holds the model the baseline loads (runbook step 5: `find ... config.json`),
/// by following `refs/main` to its snapshot; it never walks the cache.
public struct ModelHFCacheCheck: Check {
    public let id = "model.hf-cache"
    public let title = "HF cache holds config.json and every weight shard"
    public let dependsOn = ["env.values"]
    /// Where the model's files are on the hosts this check judges (the profile decides).
    public let layout: RunbookLayout
    public init(layout: RunbookLayout = .folders) { self.layout = layout }

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        if context.usingRunbookDefaults { return .skip("no .env yet: your HF cache is checked once .env names HF_CACHE_FOLDER and MODEL_NAME") }
        guard let name = context.modelName, let hf = context.hfModel else { return .skip("MODEL_NAME not set") }
        let hub = hf.hub
        var evidence: Evidence = ["hub_dir": hub.path, "hub_dir_from": hub.from, "offline": context.offlineSource.map { "yes: \($0)" } ?? "no"]
        if layout == .modelVolume {
            let volume = context.modelVolume
            // Pre-baked: HF_HOME must point into the volume, or the servers look (and download)
            // on the container's own disk while the baked model sits unused.
            evidence["model_volume"] = volume
            if !FileFacts.isWithin(hub.path, volume) {
                return .fail("HF cache \(hub.path) (\(hub.from)) is not on the model volume \(volume): vLLM would download the model into the container instead of reading the baked one",
                             evidence: evidence, fix: "set HF_HOME to the cache folder on the volume (seed 002: HF_HOME=\(volume)/hf-cache) in the pod's env")
            }
        }
        let problem: String
        switch hf.finding {
        case .complete(let snapshot, let files, let bytes):
            evidence["snapshot"] = snapshot
            evidence["weights"] = formatBytes(bytes)
            return .pass("\(files) files present; pinned snapshot \(snapshot)", evidence: evidence)
        case .noModelFolder(let dir): problem = "\(dir) missing"
        case .noRef(let ref): problem = "\(ref) missing or empty"
        case .noSnapshot(let snap): problem = "snapshot \(snap) missing"
        case .missingFiles(let snap, let missing):
            evidence["snapshot"] = snap
            evidence["missing"] = missing.joined(separator: ", ")
            problem = "missing in snapshot: \(missing.prefix(3).joined(separator: ", "))\(missing.count > 3 ? " (+\(missing.count - 3))" : "")"
        }
        if layout == .modelVolume {
            let volume = context.modelVolume
            // A pre-baked node must never download: an incomplete bake is a failure, offline or not.
            return .fail("the model volume's cache is incomplete (\(problem)): every pod on this node would download it at start",
                         evidence: evidence,
                         fix: "rebuild the snapshot: on the build instance run HF_HOME=\(FileFacts.parent(of: hub.path)) huggingface-cli download \(name) on the volume mounted at \(volume), then snapshot it")
        }
        let warm = "warm it online once (runbook step 5), e.g. HF_HOME=\(FileFacts.parent(of: hub.path)) huggingface-cli download \(name)"
        if let source = context.offlineSource {
            let fix = context.commonEnvOffline != nil && !context.options.offline
                ? "\(warm); or let runs go online: \(RepairHint.only(.offlineFlags))" : warm
            return .fail("cold cache while offline (\(source)): baseline will crash-loop (\(problem))", evidence: evidence, fix: fix)
        }
        return .warn("cache cold (\(problem)): baseline will download at start and an offline run would crash-loop",
                     evidence: evidence, fix: warm)
    }
}
