import SystemProbes
import Basics

extension RunbookFacts {
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

extension RunbookFacts {
    /// This host's disks and what lies on them (from `blockDevices`); empty for a captured
    /// table without its /sys/block, where only kernel names can tell a partition's disk.
    public var diskLayout: DiskLayout {
        memoized("disk layout") { [self] in DiskLayout(blockDevices ?? []) }
    }

    /// The OS disk, when `placement`'s device is another device on it. Nil when the folder is
    /// on the root device itself (that is `Placement.Verdict.onRootDevice`), on another disk,
    /// or when / or the folder is no block device.
    public func sharedOSDisk(_ placement: Placement) -> SharedOSDisk? {
        guard let root = placement.rootMount, root.major != 0, placement.mount.major != 0,
              root.devno != placement.mount.devno,
              let (folder, basis) = diskLayout.disks(devno: placement.mount.devno, source: placement.mount.source),
              let (os, rootBasis) = diskLayout.disks(devno: root.devno, source: root.source) else { return nil }
        guard let disk = folder.disks.first(where: os.disks.contains) else { return nil }
        return SharedOSDisk(folderDevice: placement.mount.source, disk: "/dev/" + disk,
                            rootDevice: root.source == "/dev/root" ? "/dev/" + os.device : root.source,
                            folderIsPartition: folder.isPartition,
                            basis: basis == .sysBlock && rootBasis == .sysBlock ? DiskLayout.Basis.sysBlock.rawValue : DiskLayout.Basis.kernelName.rawValue)
    }
}
