import SystemProbes
import Basics

/// Where a folder really lives, judged against the OS disk: the shared logic of the
/// storage checks and of `fix --mount`.
public struct Placement: Sendable {
    public var path: String
    public var mount: MountEntry
    public var rootMount: MountEntry?

    public init(path: String, mount: MountEntry, rootMount: MountEntry?) {
        self.path = path; self.mount = mount; self.rootMount = rootMount
    }

    public enum Verdict: Sendable, Equatable {
        /// On the OS disk: the runbook's HARD STOP (`/dev/root` on `/nvme`).
        case onRootDevice
        /// On the device the user named (`--device`) or an NVMe device.
        case onExpectedDevice
        /// A different block device than expected (e.g. `/dev/sdb1`).
        case otherBlockDevice
        /// Not a block device at all (tmpfs, overlay, network).
        case notBlockDevice
        /// On a block device, but not the one named with `--device`.
        case wrongDevice(expected: String)
    }

    public func verdict(expectedDevice: String?, expectedPrefix: String) -> Verdict {
        if mount.source == "/dev/root" { return .onRootDevice }
        if let root = rootMount, root.devno == mount.devno, mount.major != 0 { return .onRootDevice }
        if let root = rootMount, root.source == mount.source, mount.isBlockDevice { return .onRootDevice }
        if let expected = expectedDevice {
            return Self.sameDevice(mount.source, expected) ? .onExpectedDevice : .wrongDevice(expected: expected)
        }
        if mount.source.hasPrefix(expectedPrefix) { return .onExpectedDevice }
        return mount.isBlockDevice ? .otherBlockDevice : .notBlockDevice
    }

    /// `/dev/disk/by-uuid/...` and other links name the same node as `/dev/nvme0n1`.
    public static func sameDevice(_ a: String, _ b: String) -> Bool {
        a == b || (a.hasPrefix("/dev/") && FileFacts.canonicalPath(a) == FileFacts.canonicalPath(b))
    }

    public var evidenceText: String {
        "\(mount.source) on \(mount.target) type \(mount.fstype)"
    }
}
