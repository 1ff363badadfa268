import DoctorCore
import SystemProbes
import Runbook
import Basics

/// Where `fix` may mount a disk. Mounting over a system folder hides the system (and with
/// `--format` would plan mkfs for its disk), so these are refused before any plan is made,
/// with `--dry-run` too, and `--allow-nonempty-mountpoint` does not change that.
public enum MountPointPolicy {
    /// Mounting exactly here hides something the system needs.
    static let systemFolders: Set<String> = ["/", "/boot", "/etc", "/usr", "/var", "/proc", "/sys", "/dev",
                                             "/run", "/home", "/root", "/bin", "/sbin", "/opt", "/srv"]
    /// Anywhere inside these is the system's own tree (or a kernel filesystem).
    static let systemTrees = ["/boot", "/etc", "/usr", "/proc", "/sys", "/dev", "/bin", "/sbin"]

    /// Why `mountPoint` must not be used, or nil. Judged on the path as written and as the
    /// kernel resolves it (a link named /nvme that points at /etc is /etc).
    public static func refusal(_ mountPoint: String, table: MountTable?) -> String? {
        guard mountPoint.hasPrefix("/") else { return "--mount \(mountPoint): expected an absolute path" }
        let written = FileFacts.normalizedPath(mountPoint)
        let resolved = FileFacts.canonicalPath(mountPoint)
        let shown = resolved == written ? written : "\(written) (resolves to \(resolved))"
        for path in Set([written, resolved]) {
            if let why = systemFolderReason(path) { return "--mount \(shown): \(why): choose an empty folder of its own, such as /nvme" }
        }
        if let table, let root = table.entries.last(where: { $0.target == "/" }), root.isBlockDevice,
           let same = table.entries.first(where: { Set([written, resolved]).contains($0.target) && Placement.sameDevice($0.source, root.source) }) {
            return "--mount \(shown): \(same.target) is a mount of the root device (\(root.source)): mounting there would hide the OS disk's files; choose an empty folder of its own, such as /nvme"
        }
        return nil
    }

    /// Why `device` must not hold the models because it lies on the OS disk: another
    /// partition of it, or a volume (LVM, md) built on it (storage.mount fails such a mount).
    /// nil when it does not, or when the disks cannot be told (`layout` from /sys/block;
    /// `devno` of the device node, else its kernel name is used).
    public static func osDiskRefusal(device: String, devno: String?, table: MountTable, layout: DiskLayout) -> String? {
        guard let root = table.rootMount, root.major != 0,
              let (os, _) = layout.disks(devno: root.devno, source: root.source),
              let (dev, _) = layout.disks(devno: devno ?? "", source: device),
              let disk = dev.disks.first(where: os.disks.contains) else { return nil }
        let rootDevice = root.source == "/dev/root" ? "/dev/" + os.device : root.source
        let what = dev.device == os.device ? "the device / is mounted from"
            : dev.device == disk ? "the OS disk itself"
            : dev.isPartition ? "another partition of the OS disk /dev/\(disk)" : "a volume on the OS disk /dev/\(disk)"
        return "--device \(device) is \(what) (/ is on \(rootDevice)): the models need a disk of their own; name the idle NVMe with --device (sllm-doctor check -v lists the disks)"
    }

    static func systemFolderReason(_ path: String) -> String? {
        if systemFolders.contains(path) { return "\(path) is a system folder" }
        let top = "/" + (path.split(separator: "/").first.map(String.init) ?? "")
        if top.hasPrefix("/lib") { return top == path ? "\(path) is a system folder" : "\(path) is inside the system folder \(top)" }
        if let tree = systemTrees.first(where: { FileFacts.isWithin(path, $0) }) { return "\(path) is inside the system folder \(tree)" }
        return nil
    }
}
