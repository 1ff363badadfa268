import SystemProbes
import Basics

extension RunbookFacts {
    /// Where a pre-baked model volume is (MODEL_VOLUME, default /mnt/models). The folders
    /// layout has none: only checks configured for a model volume ask.
    public var modelVolume: String {
        absolute(variable("MODEL_VOLUME") ?? RunbookLayout.defaultModelVolume)
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
        variable("MODEL_VOLUME") == nil ? "default \(RunbookLayout.defaultModelVolume)" : "MODEL_VOLUME"
    }
}
