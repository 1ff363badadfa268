import Runbook
import SystemProbes
import Basics

extension CheckContext {
    /// The mount holding `path`; asked once per path per run (several storage checks ask, and
    /// on the live table each answer resolves the path with realpath first).
    public func placement(of path: String) -> Placement? {
        memoized("placement:" + path) {
            guard let table = try? mountTable.get(), let m = table.mount(containing: path) else { return nil }
            return Placement(path: path, mount: m, rootMount: table.rootMount)
        }
    }

    /// The device to probe with libblkid: `--device`, else the block device under MODEL_FOLDER
    /// (only on a live table: a captured table names another host's devices).
    public var deviceToProbe: (path: String, from: String)? {
        if let d = options.device { return (d, "--device") }
        guard options.mountinfo == nil else { return nil }
        for (key, path) in storageFolders {
            if let p = placement(of: path), p.mount.isBlockDevice { return (p.mount.source, "source of \(key)") }
        }
        return nil
    }
}
