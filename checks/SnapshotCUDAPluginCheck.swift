import DoctorCore
import SystemProbes
import Runbook
import Basics

/// CRIU's CUDA plugin is where CRIU looks for plugins. A CRIU-driven dump of a GPU process needs
/// it (the plugin runs cuda-checkpoint around the dump and the restore); a launcher that calls
/// the driver's checkpoint API itself (vllm_snapshot, on driver branch 570 or later) does not.
public struct SnapshotCUDAPluginCheck: Check {
    public let id = "snapshot.cuda-plugin"
    public let title = "CRIU's CUDA plugin, where no driver API does the GPU part"
    public init() {}

    /// CRIU's built-in plugin folder (CR_PLUGIN_DEFAULT), then where `make install` puts it.
    static let defaultFolder = "/usr/lib/criu"
    static let localFolder = "/usr/local/lib/criu"
    static let plugin = "cuda_plugin.so"

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        let (found, evidence) = context.criuCUDAPlugin
        if found.contains(Self.defaultFolder) {
            return .pass("\(Self.plugin) in \(Self.defaultFolder), where CRIU looks", evidence: evidence)
        }
        if case .ok(let facts) = context.snapshotDriver, let branch = facts.branch, branch >= SnapshotCUDACheckpointCheck.apiBranch {
            var evidence = evidence
            evidence["driver"] = "\(facts.driverVersion) (from \(facts.source))"
            return .skip("not needed: driver \(facts.driverVersion) (branch \(branch)) has the checkpoint API that vllm_snapshot calls itself; \(Self.plugin) serves only CRIU-driven dumps (none in \(Self.defaultFolder))",
                         evidence: evidence)
        }
        if let other = found.first {
            return .warn("\(Self.plugin) is in \(other), but CRIU looks in \(Self.defaultFolder) unless told: a dump would not load it",
                         evidence: evidence,
                         fix: "pass criu --libdir \(other), or link it: sudo ln -s \(other)/\(Self.plugin) \(Self.defaultFolder)/")
        }
        return .fail("no \(Self.plugin) in \(Self.defaultFolder) or \(Self.localFolder), and no driver with the checkpoint API (branch \(SnapshotCUDACheckpointCheck.apiBranch)): CRIU cannot dump a process that holds a GPU",
                     evidence: evidence,
                     fix: "upgrade the NVIDIA driver to branch \(SnapshotCUDACheckpointCheck.apiBranch) or later (then no plugin is needed), or install CRIU \(CRIUVersion.cudaPlugin) or later with its cuda plugin (CRIU's sources: plugins/cuda), so that \(Self.plugin) lands in \(Self.defaultFolder)")
    }
}
