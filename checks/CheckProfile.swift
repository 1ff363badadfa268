import Runbook
import Basics

/// What kind of host the checks judge. A profile builds its own check values, each configured
/// with what it expects of such a host (kubeadm's way), and says how the runbook's facts are
/// laid out there; no check asks which profile it runs under.
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

    /// Where the model's files live on such a host.
    public var layout: RunbookLayout { self == .prebaked ? .modelVolume : .folders }
}

