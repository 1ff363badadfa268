import CBlkid
#if canImport(Glibc)
import Glibc
import Basics
#endif

/// What libblkid finds on a device or image file.
public enum BlockSignature: Sendable, Equatable {
    /// A filesystem or other superblock (ext4, xfs, swap, ...).
    case filesystem(type: String, uuid: String?, label: String?)
    /// A partition table (gpt, dos): the disk is in use even without a filesystem on it.
    case partitionTable(type: String)
    /// Nothing recognised: the runbook's `file -s` → "data" case, needs mkfs.
    case none
    /// Several signatures disagree; libblkid refuses to pick one.
    case ambivalent
    /// The device could not be opened or read (permissions, missing node).
    case cannotProbe(reason: String)

    public var hasAnySignature: Bool {
        switch self {
        case .filesystem, .partitionTable, .ambivalent: return true
        case .none, .cannotProbe: return false
        }
    }
}

public enum BlockProbe {
    /// Probes superblocks and partition tables in safe mode (blkid_do_safeprobe).
    public static func probe(_ path: String) -> BlockSignature {
        errno = 0
        guard let pr = blkid_new_probe_from_filename(path) else {
            let reason = errno != 0 ? String(cString: strerror(errno)) : "blkid could not open it"
            return .cannotProbe(reason: "\(path): \(reason)")
        }
        defer { blkid_free_probe(pr) }
        blkid_probe_enable_superblocks(pr, 1)
        blkid_probe_set_superblocks_flags(pr, Int32(BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID | BLKID_SUBLKS_LABEL))
        blkid_probe_enable_partitions(pr, 1)
        switch blkid_do_safeprobe(pr) {
        case 0:
            if let type = lookup(pr, "TYPE") {
                return .filesystem(type: type, uuid: lookup(pr, "UUID"), label: lookup(pr, "LABEL"))
            }
            if let pt = lookup(pr, "PTTYPE") { return .partitionTable(type: pt) }
            return .ambivalent
        case 1: return .none
        case -2: return .ambivalent
        default:
            let reason = errno != 0 ? String(cString: strerror(errno)) : "probe failed"
            return .cannotProbe(reason: "\(path): \(reason)")
        }
    }

    private static func lookup(_ pr: blkid_probe, _ name: String) -> String? {
        var value: UnsafePointer<CChar>?
        var len: Int = 0
        guard blkid_probe_lookup_value(pr, name, &value, &len) == 0, let value else { return nil }
        return String(cString: value)
    }
}
