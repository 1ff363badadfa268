/// Where a host keeps the model's files, as the runbook's variables say it.
public enum RunbookLayout: Sendable, Equatable {
    /// The runbook's benchmark host: MODEL_FOLDER and HF_CACHE_FOLDER on a local NVMe.
    case folders
    /// A Kubernetes GPU node whose model arrives on a volume made from a snapshot (seed 002):
    /// MODEL_VOLUME, with HF_HOME on it.
    case modelVolume

    /// Where seed 002's node class mounts the pre-baked volume.
    public static let defaultModelVolume = "/mnt/models"
}
