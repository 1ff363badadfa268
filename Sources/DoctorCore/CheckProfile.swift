import SystemProbes
import Runbook
import Basics

/// What kind of host the checks judge. The same check objects serve every profile; a profile
/// only changes what they expect of the host.
/// - `standard`: the runbook's benchmark host (folders on a local NVMe, offline flags off).
/// - `prebaked`: a Kubernetes GPU node whose model arrives on a volume made from a snapshot
///   (seed 002): the volume is its own disk, HF_HOME lives on it, it may be read-only, and the
///   node must never download, so offline flags on are right.
public enum CheckProfile: String, Sendable, CaseIterable {
    case standard
    case prebaked

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

    /// Whether MODEL_VOLUME came from the user (`.env` or the environment) or is the default.
    public var modelVolumeFrom: String {
        variable("MODEL_VOLUME") == nil ? "default \(CheckProfile.defaultModelVolume)" : "MODEL_VOLUME"
    }
}
