import SystemProbes
import Runbook
import Basics

/// What kind of host the checks judge. The same check objects serve every profile; a profile
/// only changes what they expect of the host.
/// - `standard`: the runbook's benchmark host (folders on a local NVMe, offline flags off).
/// - `prebaked`: a Kubernetes GPU node whose model arrives on a volume made from a snapshot
///   (seed 002): the volume is its own disk, HF_HOME lives on it, it may be read-only, and the
///   node must never download, so offline flags on are right.
/// - `snapshot`: the benchmark host about to restore a vLLM process from a CRIU image
///   (CRIU + cuda-checkpoint): the standard expectations, plus the `snapshot.*` checks.
public enum CheckProfile: String, Sendable, CaseIterable {
    case standard
    case prebaked
    case snapshot

    /// Where seed 002's node class mounts the pre-baked volume.
    public static let defaultModelVolume = "/mnt/models"
}

extension CheckContext {
    public var profile: CheckProfile { options.profile }

    /// The pre-baked model volume (MODEL_VOLUME, default /mnt/models); nil in other profiles.
    public var modelVolume: String? {
        guard profile == .prebaked else { return nil }
        return absolute(variable("MODEL_VOLUME") ?? CheckProfile.defaultModelVolume)
    }

    /// Where snapshot images are written and read (SNAPSHOT_FOLDER, default
    /// `<mount point>/snapshots`, beside the model folders on the NVMe).
    public var snapshotFolder: (path: String, from: String) {
        if let v = variable("SNAPSHOT_FOLDER") { return (absolute(v), "SNAPSHOT_FOLDER") }
        return (FileFacts.join(RunbookDefaults.mountPoint, "snapshots"), "default")
    }

    /// A host path as this run reads it: under `--host-root` when a captured tree is given.
    public func hostPath(_ live: String) -> String {
        guard let root = options.hostRoot else { return live }
        return FileFacts.join(root, String(live.drop { $0 == "/" }))
    }

    /// Whether MODEL_VOLUME came from the user (`.env` or the environment) or is the default.
    public var modelVolumeFrom: String {
        variable("MODEL_VOLUME") == nil ? "default \(CheckProfile.defaultModelVolume)" : "MODEL_VOLUME"
    }
}
