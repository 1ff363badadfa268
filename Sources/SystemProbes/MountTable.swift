import CLibMount
import Foundation
#if canImport(Glibc)
import Glibc
import Basics
#endif

/// One line of a mount table, copied out of libmount so it can cross tasks.
public struct MountEntry: Sendable, Equatable {
    public var source: String
    public var target: String
    public var fstype: String
    /// The subtree of the source that is mounted ("/" unless it is a bind mount).
    public var root: String
    public var options: String
    public var major: UInt32
    public var minor: UInt32

    public var devno: String { "\(major):\(minor)" }
    /// True for sources that name a block device node (`/dev/...`).
    public var isBlockDevice: Bool { source.hasPrefix("/dev/") }
}

public enum MountTableError: Error, CustomStringConvertible {
    case cannotRead(path: String, reason: String)
    /// A captured table with a line that is not mountinfo (a /proc/mounts copy, a cut line).
    case badLine(path: String, line: Int, reason: String)
    public var description: String {
        switch self {
        case .cannotRead(let path, let reason): return "cannot read mount table \(path): \(reason)"
        case .badLine(let path, let line, let reason): return "\(path): line \(line): \(reason)"
        }
    }
}

/// A mount table parsed by libmount, either this host's (`/proc/self/mountinfo`) or a file
/// captured from another host. Lookups never touch the filesystem when `isLive` is false, so
/// paths that only exist on the captured host resolve too.
public struct MountTable: Sendable {
    public static let livePath = "/proc/self/mountinfo"
    public let path: String
    public let isLive: Bool
    public let entries: [MountEntry]

    public init(path: String = MountTable.livePath) throws {
        self.path = path
        self.isLive = (path == MountTable.livePath)
        // The kernel's own table is mountinfo; a captured one may be anything.
        if !isLive { try MountInfoFormat.check(path: path) }
        guard let table = mnt_new_table() else {
            throw MountTableError.cannotRead(path: path, reason: "mnt_new_table failed")
        }
        let rc = mnt_table_parse_file(table, path)
        if rc != 0 {
            mnt_unref_table(table)
            throw MountTableError.cannotRead(path: path, reason: String(cString: strerror(-rc)))
        }
        // Parsed once: the same libmount table answers every lookup (see LibMountLookup).
        let lookup = LibMountLookup(table: table)
        var collected: [MountEntry] = []
        guard let iter = mnt_new_iter(Int32(MNT_ITER_FORWARD)) else {
            throw MountTableError.cannotRead(path: path, reason: "mnt_new_iter failed")
        }
        defer { mnt_free_iter(iter) }
        var fs: OpaquePointer?
        while mnt_table_next_fs(table, iter, &fs) == 0, let fs {
            collected.append(Self.entry(fs))
        }
        if collected.isEmpty {
            throw MountTableError.cannotRead(path: path, reason: "no mount entries (expected mountinfo format)")
        }
        self.entries = collected
        self.lookupTable = lookup
    }

    private let lookupTable: LibMountLookup

    static func entry(_ fs: OpaquePointer) -> MountEntry {
        func str(_ p: UnsafePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "" }
        let dev = mnt_fs_get_devno(fs)
        return MountEntry(
            source: str(mnt_fs_get_source(fs)),
            target: str(mnt_fs_get_target(fs)),
            fstype: str(mnt_fs_get_fstype(fs)),
            root: str(mnt_fs_get_root(fs)),
            options: str(mnt_fs_get_options(fs)),
            major: UInt32(truncatingIfNeeded: (dev >> 8) & 0xfff | ((dev >> 32) & ~0xfff)),
            minor: UInt32(truncatingIfNeeded: (dev & 0xff) | ((dev >> 12) & ~0xff)))
    }

    /// The mount at "/" (the OS disk).
    public var rootMount: MountEntry? { entries.last { $0.target == "/" } }

    /// The mount a path lives on: the last-mounted entry whose target is the path or its
    /// nearest ancestor. On the live table the path is first made canonical (symlinks,
    /// `..`) as far as it exists.
    public func mount(containing path: String) -> MountEntry? {
        let absolute = isLive ? FileFacts.canonicalPath(path) : FileFacts.normalizedPath(path)
        return lookupTable.findTarget(walkingUpFrom: absolute)
    }
}

/// libmount's lookup by target (`mnt_table_find_target`, searching backwards so the most
/// recent mount over a point wins), on the table parsed once. libmount objects are not
/// thread-safe: every use goes through `lock`.
final class LibMountLookup: @unchecked Sendable {
    // Sendable by hand: `table` is only touched under `lock`.
    private let table: OpaquePointer
    private let lock = PosixLock()

    init(table: OpaquePointer) { self.table = table }
    deinit { mnt_unref_table(table) }

    func findTarget(walkingUpFrom absolute: String) -> MountEntry? {
        lock.lock(); defer { lock.unlock() }
        var candidate = absolute
        while true {
            if let fs = mnt_table_find_target(table, candidate, Int32(MNT_ITER_BACKWARD)) {
                return MountTable.entry(fs)
            }
            if candidate == "/" { return nil }
            candidate = FileFacts.parent(of: candidate)
        }
    }
}
