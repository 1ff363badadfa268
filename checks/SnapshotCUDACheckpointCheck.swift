import DoctorCore
import SystemProbes
import Runbook
import Basics

/// There is a way to move the GPU's memory out to the host and back. From driver branch 570 the
/// driver has a public checkpoint API (cuCheckpointProcess* in libcuda.so.1, CUDA 12.8), which
/// vllm_snapshot (and NVIDIA Dynamo's snapshot agent) call themselves: nothing else is needed.
/// Branches 550–569 can checkpoint only through NVIDIA's cuda-checkpoint binary, which a CRIU
/// dump runs through CRIU's CUDA plugin: both must be there. Before 550, no way at all.
public struct SnapshotCUDACheckpointCheck: Check {
    public let id = "snapshot.cuda-checkpoint"
    public let title = "GPU memory out and back: driver 570+, or cuda-checkpoint with CRIU's plugin"
    public let mayBlock = true
    public init() {}

    /// NVIDIA's cuda-checkpoint README: display driver 550 and higher.
    public static let minimumBranch = 550
    /// The branch with the public checkpoint API (CUDA 12.8).
    public static let apiBranch = 570
    static let api = "cuCheckpointProcessLock/Checkpoint/Restore/Unlock in libcuda.so.1"

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        var evidence: Evidence = ["driver API": "branch \(Self.apiBranch) or later (\(Self.api), CUDA 12.8)",
                                  "without it": "branch \(Self.minimumBranch)–\(Self.apiBranch - 1): cuda-checkpoint on PATH and CRIU's \(SnapshotCUDAPluginCheck.plugin)"]
        let tool = context.onPath("cuda-checkpoint")
        evidence["cuda-checkpoint"] = tool ?? "not on PATH"
        let facts: GPUDriverFacts
        switch context.snapshotDriver {
        case .noDriver(let why), .failed(let why):
            return .fail(why, evidence: evidence, fix: "install NVIDIA driver \(Self.apiBranch) or later")
        case .ok(let f): facts = f
        }
        evidence["driver"] = "\(facts.driverVersion) (from \(facts.source))"
        guard let branch = facts.branch else {
            return .fail("driver version '\(facts.driverVersion)' from \(facts.source): expected a number such as 570.124.06",
                         evidence: evidence, fix: "check the NVIDIA driver install")
        }
        if branch >= Self.apiBranch {
            return .pass("driver \(facts.driverVersion) (branch \(branch)) has the CUDA checkpoint API that vllm_snapshot calls itself: neither cuda-checkpoint nor CRIU's CUDA plugin is needed",
                         evidence: evidence)
        }
        if branch < Self.minimumBranch {
            return .fail("driver \(facts.driverVersion) (branch \(branch)) cannot checkpoint a CUDA process: cuda-checkpoint needs branch \(Self.minimumBranch), the driver API branch \(Self.apiBranch)",
                         evidence: evidence, fix: "upgrade the NVIDIA driver to branch \(Self.apiBranch) or later")
        }
        // 550–569: only a CRIU-driven dump, which needs both the binary and the plugin.
        let plugin = context.criuCUDAPlugin
        let pluginInPlace = plugin.found.contains(SnapshotCUDAPluginCheck.defaultFolder)
        evidence["CRIU's CUDA plugin"] = pluginInPlace ? "in \(SnapshotCUDAPluginCheck.defaultFolder)" : "not in \(SnapshotCUDAPluginCheck.defaultFolder) (snapshot.cuda-plugin)"
        var missing: [String] = []
        var fixes: [String] = []
        if tool == nil {
            missing.append("no cuda-checkpoint on PATH")
            fixes.append("put NVIDIA's cuda-checkpoint binary (github.com/NVIDIA/cuda-checkpoint, bin/) on PATH, e.g. /usr/local/bin")
        }
        if !pluginInPlace {
            missing.append("no \(SnapshotCUDAPluginCheck.plugin) in \(SnapshotCUDAPluginCheck.defaultFolder)")
            fixes.append("install CRIU's CUDA plugin (snapshot.cuda-plugin)")
        }
        if missing.isEmpty {
            return .pass("driver \(facts.driverVersion) (branch \(branch), before the driver API): cuda-checkpoint at \(tool!) and CRIU's CUDA plugin move the GPU memory",
                         evidence: evidence)
        }
        return .fail("driver \(facts.driverVersion) (branch \(branch)) has no checkpoint API (branch \(Self.apiBranch)); a CRIU dump needs cuda-checkpoint and CRIU's CUDA plugin: \(missing.joined(separator: ", "))",
                     evidence: evidence, fix: (fixes + ["or upgrade the driver to branch \(Self.apiBranch) or later"]).joined(separator: "; "))
    }
}
