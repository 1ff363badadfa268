import Foundation
import Basics

/// A disk (or one of its partitions) as the kernel lists it in /sys/block: enough to tell a
/// user "an unmounted 1.9 TB NVMe is present" before anything is mounted.
public struct BlockDevice: Sendable, Equatable {
    /// Kernel name: nvme0n1, nvme0n1p1, vda.
    public var name: String
    /// "major:minor", as mountinfo and udev's database name it.
    public var devno: String
    public var sizeBytes: UInt64
    /// Hardware model from /sys/block/NAME/device/model, when the driver gives one.
    public var model: String?
    public var partitions: [BlockDevice] = []
    /// What a device-mapper or md device is built on (/sys/block/dm-0/slaves: nvme0n1p3, ...).
    public var slaves: [String] = []

    public var path: String { "/dev/" + name }
    public var isNVMe: Bool { name.hasPrefix("nvme") }
    /// This disk and its partitions.
    public var all: [BlockDevice] { [self] + partitions }
}

public enum BlockDevices {
    public static let livePath = "/sys/block"

    /// Kernel names that are never a user's data disk (loop files, RAM, optical, floppy).
    static let ignoredPrefixes = ["loop", "ram", "zram", "sr", "fd"]

    /// The disks under `sysBlock` (a live /sys/block or a captured copy), by name; empty
    /// disks (size 0) and the ignored kinds left out.
    public static func list(sysBlock: String = livePath) -> [BlockDevice] {
        let names = FileFacts.names(in: sysBlock) ?? []
        return names.sorted().compactMap { name -> BlockDevice? in
            guard !ignoredPrefixes.contains(where: { name.hasPrefix($0) }) else { return nil }
            let dir = sysBlock + "/" + name
            guard var disk = device(name: name, dir: dir), disk.sizeBytes > 0 else { return nil }
            disk.model = read(dir + "/device/model")
            disk.slaves = (FileFacts.names(in: dir + "/slaves") ?? []).sorted()
            // A partition is a subfolder carrying a `partition` file (nvme0n1/nvme0n1p1/partition).
            let children = FileFacts.names(in: dir) ?? []
            disk.partitions = children.sorted()
                .filter { $0.hasPrefix(name) && FileFacts.isFile(dir + "/" + $0 + "/partition") }
                .compactMap { device(name: $0, dir: dir + "/" + $0) }
            return disk
        }
    }

    /// Whole disks whose name starts with `prefix` (the mount repair's candidates).
    public struct Disk: Sendable, Equatable {
        public var path: String
        public var hasPartitions: Bool
        public var sizeBytes: UInt64
    }

    public static func disks(sysBlock: String = livePath, prefix: String = "nvme") -> [Disk] {
        list(sysBlock: sysBlock).filter { $0.name.hasPrefix(prefix) }
            .map { Disk(path: $0.path, hasPartitions: !$0.partitions.isEmpty, sizeBytes: $0.sizeBytes) }
    }

    /// Partitions of a disk known to the kernel (`/sys/class/block/<disk>/<disk>p1`, ...).
    public static func hasPartitions(_ device: String, sysBlock: String = "/sys/class/block") -> Bool {
        let name = String(FileFacts.canonicalPath(device).split(separator: "/").last ?? "")
        let dir = "\(sysBlock)/\(name)"
        let children = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return children.contains { $0.hasPrefix(name) && FileFacts.exists("\(dir)/\($0)/partition") }
    }

    /// "major:minor" of a block device node (stat(2)); nil for anything else.
    public static func devno(ofNode path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFBLK else { return nil }
        let d = UInt64(st.st_rdev)
        let major = ((d >> 8) & 0xfff) | ((d >> 32) & ~0xfff)
        let minor = (d & 0xff) | ((d >> 12) & ~0xff)
        return "\(major):\(minor)"
    }

    private static func device(name: String, dir: String) -> BlockDevice? {
        guard let devno = read(dir + "/dev"), devno.contains(":") else { return nil }
        // `size` counts 512-byte sectors whatever the device's own block size.
        let sectors = read(dir + "/size").flatMap { UInt64($0) } ?? 0
        return BlockDevice(name: name, devno: devno, sizeBytes: sectors &* 512)
    }

    private static func read(_ path: String) -> String? { FileFacts.readSmall(path) }
}

/// A filesystem signature and which source gave it. libblkid reads the device itself, which
/// needs root for /dev/nvme*; udev's database (what `lsblk -f` shows to normal users) and
/// libblkid's cache answer without opening the device.
public struct SignatureReading: Sendable, Equatable {
    public enum Source: String, Sendable {
        case libblkid = "libblkid (the device itself)"
        case udev = "udev database"
        case blkidCache = "libblkid cache"
    }
    public var signature: BlockSignature
    public var source: Source?
    /// Why the device itself could not be read, when another source answered (or none did).
    public var deviceError: String?
}

public enum DeviceSignature {
    public static let liveUdevData = "/run/udev/data"
    public static let liveBlkidCache = "/run/blkid/blkid.tab"

    /// libblkid on the device first; if it cannot be opened, udev's record
    /// (`udevData/b<major>:<minor>`), then libblkid's cache. `.cannotProbe` only when none answers.
    public static func read(device: String, devno: String?, udevData: String = liveUdevData,
                            blkidCache: String = liveBlkidCache) -> SignatureReading {
        let direct = BlockProbe.probe(device)
        guard case .cannotProbe(let reason) = direct else { return SignatureReading(signature: direct, source: .libblkid) }
        if let devno, let s = fromUdev(udevData + "/b" + devno) {
            return SignatureReading(signature: s, source: .udev, deviceError: reason)
        }
        if let s = fromBlkidCache(blkidCache, device: device) {
            return SignatureReading(signature: s, source: .blkidCache, deviceError: reason)
        }
        return SignatureReading(signature: direct, source: nil, deviceError: reason)
    }

    /// udev's record: `E:ID_FS_TYPE=ext4`, `E:ID_FS_UUID=…`, `E:ID_PART_TABLE_TYPE=gpt`. A record
    /// without ID_FS_TYPE means udev's blkid builtin found no filesystem: an unformatted disk.
    static func fromUdev(_ path: String) -> BlockSignature? {
        guard let text = FileFacts.readSmall(path) else { return nil }
        var props: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("E:") {
            let kv = line.dropFirst(2)
            guard let eq = kv.firstIndex(of: "=") else { continue }
            props[String(kv[..<eq])] = String(kv[kv.index(after: eq)...])
        }
        if let type = props["ID_FS_TYPE"], !type.isEmpty {
            return .filesystem(type: type, uuid: props["ID_FS_UUID"], label: props["ID_FS_LABEL"])
        }
        if let pt = props["ID_PART_TABLE_TYPE"], !pt.isEmpty { return .partitionTable(type: pt) }
        return BlockSignature.none
    }

    /// libblkid's cache: one `<device … TYPE="ext4" UUID="…">/dev/nvme0n1</device>` per line.
    static func fromBlkidCache(_ path: String, device: String) -> BlockSignature? {
        guard let text = try? BoundedRead.text(path) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("<device") && line.hasSuffix(">\(device)</device>") {
            func attr(_ name: String) -> String? {
                guard let r = line.range(of: " \(name)=\"") else { return nil }
                let rest = line[r.upperBound...]
                return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
            }
            if let type = attr("TYPE") { return .filesystem(type: type, uuid: attr("UUID"), label: attr("LABEL")) }
            if let pt = attr("PTTYPE") { return .partitionTable(type: pt) }
        }
        return nil
    }
}
