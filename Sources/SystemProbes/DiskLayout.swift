/// Which whole disks a mounted device lies on: a partition on its parent disk, a
/// device-mapper (LVM, crypt) or md volume on the disks under its slaves. Two mounts on
/// different partitions of one disk share that disk, which the devno of a mount cannot say.
public struct DiskLayout: Sendable {
    /// Kernel name of every known device (disk, partition, dm/md volume) by "major:minor".
    private var nameByDevno: [String: String] = [:]
    /// The disk a partition belongs to, by the partition's kernel name.
    private var parentDisk: [String: String] = [:]
    /// What a dm/md device is built on, by its kernel name.
    private var slaves: [String: [String]] = [:]
    private var known: Set<String> = []

    /// From /sys/block as `BlockDevices.list` reads it (live or captured).
    public init(_ devices: [BlockDevice]) {
        for disk in devices {
            nameByDevno[disk.devno] = disk.name
            known.insert(disk.name)
            if !disk.slaves.isEmpty { slaves[disk.name] = disk.slaves }
            for part in disk.partitions {
                nameByDevno[part.devno] = part.name
                parentDisk[part.name] = disk.name
                known.insert(part.name)
            }
        }
    }

    /// How a device was placed on its disks: through /sys/block, or by its kernel name alone
    /// (a captured table without its /sys/block).
    public enum Basis: String, Sendable { case sysBlock = "/sys/block", kernelName = "its kernel name" }

    public struct Disks: Sendable, Equatable {
        /// The device's own kernel name (`nvme0n1p2`, `dm-1`), when known.
        public var device: String
        /// Whole disks under it, sorted (`nvme0n1`).
        public var disks: [String]
        /// True when the device is a partition of one of `disks`, not a volume built on them.
        public var isPartition: Bool
    }

    /// The whole disks under the device `devno` (as mountinfo gives it), else under the kernel
    /// name in `source` (`/dev/vda2`). Nil when neither is known here.
    public func disks(devno: String, source: String) -> (Disks, Basis)? {
        if let name = nameByDevno[devno] { return (resolve(name), .sysBlock) }
        let base = Self.kernelName(source)
        if let base, known.contains(base) { return (resolve(base), .sysBlock) }
        guard let base, let disk = Self.diskByKernelName(base) else { return nil }
        return (Disks(device: base, disks: [disk], isPartition: disk != base), .kernelName)
    }

    /// Walks slaves down to whole disks; each device is visited once, so a cycle in a
    /// captured tree ends and the walk is linear in the number of devices.
    private func resolve(_ name: String) -> Disks {
        var found: Set<String> = []
        var seen: Set<String> = []
        var stack = [name]
        while let current = stack.popLast() {
            guard seen.insert(current).inserted else { continue }
            if let disk = parentDisk[current] { stack.append(disk); continue }
            if let below = slaves[current] { stack.append(contentsOf: below); continue }
            found.insert(current)
        }
        return Disks(device: name, disks: found.sorted(), isPartition: parentDisk[name] != nil)
    }

    /// `/dev/nvme0n1p2` → `nvme0n1p2`; nil for `/dev/root`, `/dev/mapper/…` and non-devices.
    static func kernelName(_ source: String) -> String? {
        guard source.hasPrefix("/dev/") else { return nil }
        let name = String(source.dropFirst(5))
        guard !name.isEmpty, !name.contains("/"), name != "root" else { return nil }
        return name
    }

    /// The disk a partition's kernel name belongs to, by the kernel's naming: `sda1` → `sda`,
    /// `vda2` → `vda`, `nvme0n1p2` → `nvme0n1`, `mmcblk0p1` → `mmcblk0`; a whole disk's own
    /// name for a whole disk; nil for a name of no known kind.
    static func diskByKernelName(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        func isLetter(_ b: UInt8) -> Bool { b >= 97 && b <= 122 }
        // Trailing digits, and what comes before them.
        var end = bytes.count
        while end > 0, isDigit(bytes[end - 1]) { end -= 1 }
        let stem = String(decoding: bytes[..<end], as: UTF8.self)
        for prefix in ["nvme", "mmcblk"] where name.hasPrefix(prefix) {
            // nvme0n1 / nvme0n1p2, mmcblk0 / mmcblk0p1: a partition is `p` + digits after the disk.
            guard end < bytes.count else { return nil }
            if stem.hasSuffix("p"), end - 1 > prefix.utf8.count, isDigit(bytes[end - 2]) { return String(stem.dropLast()) }
            return name
        }
        for prefix in ["sd", "vd", "xvd", "hd"] where name.hasPrefix(prefix) {
            let letters = bytes[prefix.utf8.count..<end]
            guard !letters.isEmpty, letters.allSatisfy(isLetter) else { return nil }
            return stem
        }
        return nil
    }
}
