#if canImport(Glibc)
import Glibc
#endif
import Foundation
import CShims
import Basics

/// What the filesystem says about one path (stat + statvfs), without following the
/// caller into Foundation's slower FileManager paths.
public struct PathFacts: Sendable, Equatable {
    public var exists: Bool
    public var isDirectory: Bool
    public var isSymlink: Bool
    public var ownerUID: UInt32
    public var groupGID: UInt32
    public var mode: UInt32      // permission bits only
    public var size: UInt64
    public var device: UInt64

    public var isWorldReadable: Bool { mode & 0o004 != 0 }
}

public struct SpaceFacts: Sendable, Equatable {
    public var freeBytes: UInt64
    public var totalBytes: UInt64
}

public enum FileFacts {
    /// `lstat`-based facts; follows the link when `follow` is true.
    public static func facts(_ path: String, follow: Bool = true) -> PathFacts {
        var st = stat()
        let rc = follow ? stat(path, &st) : lstat(path, &st)
        guard rc == 0 else {
            return PathFacts(exists: false, isDirectory: false, isSymlink: false, ownerUID: 0,
                             groupGID: 0, mode: 0, size: 0, device: 0)
        }
        let type = st.st_mode & S_IFMT
        return PathFacts(exists: true, isDirectory: type == S_IFDIR, isSymlink: type == S_IFLNK,
                         ownerUID: st.st_uid, groupGID: st.st_gid, mode: UInt32(st.st_mode & 0o7777),
                         size: UInt64(st.st_size), device: UInt64(st.st_dev))
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func isFile(_ path: String) -> Bool {
        let f = facts(path)
        return f.exists && !f.isDirectory
    }

    /// Writable by the real uid of this process (access(2) semantics).
    public static func isWritable(_ path: String) -> Bool { access(path, W_OK) == 0 }

    public static func space(_ path: String) -> SpaceFacts? {
        var vfs = statvfs()
        guard statvfs(path, &vfs) == 0 else { return nil }
        let unit = UInt64(vfs.f_frsize)
        return SpaceFacts(freeBytes: UInt64(vfs.f_bavail) * unit, totalBytes: UInt64(vfs.f_blocks) * unit)
    }

    /// Why a file cannot be read, in words that tell missing from unreadable.
    public static func readFailure(_ path: String) -> String {
        let fd = open(path, O_RDONLY)
        if fd >= 0 { close(fd); return "readable" }
        let err = errno
        switch err {
        case ENOENT: return "no such file"
        case EACCES, EPERM: return "permission denied for uid \(getuid()): read it with sudo, or give this user read access"
        default: return String(cString: strerror(err))
        }
    }

    /// Whether the file's filesystem serves an `O_DIRECT` read of its first block (as
    /// ServerlessLLM Store reads its data). nil when it does, else why not.
    public static func directReadProblem(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | cshims_o_direct())
        if fd < 0 { return "open with O_DIRECT: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        var buffer: UnsafeMutableRawPointer?
        guard posix_memalign(&buffer, 4096, 4096) == 0, let buffer else { return "no aligned buffer" }
        defer { free(buffer) }
        if pread(fd, buffer, 4096, 0) < 0 { return "O_DIRECT read: \(String(cString: strerror(errno)))" }
        return nil
    }

    public static func isBlockDevice(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFBLK
    }

    /// True when the path exists but this process may not read it.
    public static func isUnreadable(_ path: String) -> Bool { exists(path) && access(path, R_OK) != 0 }

    public static func readText(_ path: String, limit: Int = 16 << 20) throws(InputReadError) -> String {
        try BoundedRead.text(path, limit: limit)
    }

    /// A whole regular file, bounded (`BoundedRead`): the files the tool reads are small.
    public static func readBytes(_ path: String, limit: Int = 16 << 20) throws(InputReadError) -> [UInt8] {
        try BoundedRead.bytes(path, limit: limit)
    }

    public static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Collapses `.`/`..`/duplicate slashes without touching the filesystem.
    public static func normalizedPath(_ path: String) -> String {
        // Over the bytes: split/joined on Substrings are generic, and this runs for every path
        // a check looks at.
        let bytes = Array(path.utf8)
        var out: [UInt8] = [UInt8(ascii: "/")]
        var starts: [Int] = []   // where each kept component starts in `out`
        var i = 0
        while i < bytes.count {
            while i < bytes.count && bytes[i] == UInt8(ascii: "/") { i += 1 }
            let start = i
            while i < bytes.count && bytes[i] != UInt8(ascii: "/") { i += 1 }
            let length = i - start
            if length == 0 || (length == 1 && bytes[start] == UInt8(ascii: ".")) { continue }
            if length == 2 && bytes[start] == UInt8(ascii: ".") && bytes[start + 1] == UInt8(ascii: ".") {
                if let last = starts.popLast() { out.removeSubrange((last == 1 ? 1 : last - 1)...) }
                continue
            }
            if out.count > 1 { out.append(UInt8(ascii: "/")) }
            starts.append(out.count)
            out.append(contentsOf: bytes[start..<i])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// realpath() of the longest existing prefix, with the rest appended: the canonical
    /// form of a path that may not exist yet.
    /// The path as the kernel resolves it (realpath semantics): each symlink is followed
    /// before a `..` after it is applied, so `/dev/shm/link/../x` is `x` beside the link's
    /// target, not `/dev/shm/x`. Past the first component that does not exist the rest is
    /// joined as text (nothing there to follow).
    public static func canonicalPath(_ path: String) -> String {
        var pending = Array((path.hasPrefix("/") ? path : currentDirectory + "/" + path)
            .split(separator: "/", omittingEmptySubsequences: true).reversed().map(String.init))
        var resolved = "/"
        var links = 0
        var exists = true
        while let component = pending.popLast() {
            if component == "." { continue }
            if component == ".." { resolved = parent(of: resolved); continue }
            let candidate = resolved == "/" ? "/" + component : resolved + "/" + component
            guard exists else { resolved = candidate; continue }
            var st = stat()
            guard lstat(candidate, &st) == 0 else { exists = false; resolved = candidate; continue }
            guard (st.st_mode & S_IFMT) == S_IFLNK, links < 40, let target = readLink(candidate) else {
                resolved = candidate; continue
            }
            links += 1
            pending.append(contentsOf: target.split(separator: "/", omittingEmptySubsequences: true).reversed().map(String.init))
            if target.hasPrefix("/") { resolved = "/" }
        }
        return resolved
    }

    /// The folder holding `path`: "/" for a name at the root, "." for a bare relative name (which
    /// names a file in the current folder, not at the root).
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        guard slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    public static func join(_ base: String, _ parts: String...) -> String {
        var result = base
        for part in parts where !part.isEmpty {
            if result.hasSuffix("/") { result += part } else { result += "/" + part }
        }
        return result
    }

    /// True if `path` equals `ancestor` or lies below it (string-wise, both normalized).
    public static func isWithin(_ path: String, _ ancestor: String) -> Bool {
        let p = normalizedPath(path), a = normalizedPath(ancestor)
        return a == "/" || p == a || p.hasPrefix(a + "/")
    }

    /// getcwd(3), without FileManager's set-up.
    public static var currentDirectory: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Entry names of a folder (no `.` and `..`), by readdir(3); nil when it cannot be opened.
    /// Cheaper than FileManager for the small sysfs folders read on every `check`.
    public static func names(in dir: String) -> [String]? {
        guard let d = opendir(dir) else { return nil }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// A small text file (sysfs attributes, udev records) read with one read(2), trimmed;
    /// nil when missing, unreadable or empty.
    public static func readSmall(_ path: String, limit: Int = 65_536) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: limit)
        var total = 0
        while total < limit {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + total, limit - total) }
            if n <= 0 { break }
            total += n
        }
        // ASCII whitespace trimmed by hand: Foundation's trimming goes through NSString.
        func isSpace(_ b: UInt8) -> Bool { b == 32 || (b >= 9 && b <= 13) }
        var start = 0, end = total
        while start < end && isSpace(buffer[start]) { start += 1 }
        while end > start && isSpace(buffer[end - 1]) { end -= 1 }
        return start == end ? nil : String(decoding: buffer[start..<end], as: UTF8.self)
    }

    /// The nearest folder at or above `dir` holding `.git` (a folder, or the file a worktree or
    /// submodule has): where git would find a repository. nil outside any.
    public static func gitWorkTree(containing dir: String) -> String? {
        var candidate = normalizedPath(dir)
        while true {
            if exists(join(candidate, ".git")) { return candidate }
            if candidate == "/" { return nil }
            candidate = parent(of: candidate)
        }
    }

    /// User name for a uid, or the number as text.
    public static func userName(_ uid: UInt32) -> String {
        userNames.name(uid)
    }
    /// /etc/passwd (or NSS) is read once per uid per run, by the reentrant call: checks run on
    /// several threads and getpwuid's static buffer is shared.
    private static let userNames = UserNameCache()

    public static func uid(ofUser name: String) -> UInt32? {
        guard let pw = getpwnam(name) else { return nil }
        return pw.pointee.pw_uid
    }

    public static func gid(ofUser name: String) -> UInt32? {
        guard let pw = getpwnam(name) else { return nil }
        return pw.pointee.pw_gid
    }
}

/// Who the person running the tool is: with sudo, the user behind it (SUDO_UID/SUDO_USER),
/// because folders must belong to them, not to root.
public struct InvokingUser: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    public var name: String
    public var viaSudo: Bool

    public static func current(environment: [String: String]) -> InvokingUser {
        if getuid() == 0, let sudoUID = environment["SUDO_UID"].flatMap(UInt32.init) {
            let gid = environment["SUDO_GID"].flatMap(UInt32.init) ?? sudoUID
            return InvokingUser(uid: sudoUID, gid: gid,
                                name: environment["SUDO_USER"] ?? FileFacts.userName(sudoUID), viaSudo: true)
        }
        return InvokingUser(uid: getuid(), gid: getgid(), name: FileFacts.userName(getuid()), viaSudo: false)
    }

    public static var isRoot: Bool { geteuid() == 0 }
}

final class UserNameCache: @unchecked Sendable {
    // Sendable by hand: `names` is only touched under `lock`.
    private let lock = PosixLock()
    private var names: [UInt32: String] = [:]

    func name(_ uid: UInt32) -> String {
        lock.lock(); defer { lock.unlock() }
        if let known = names[uid] { return known }
        // /etc/passwd first (one small read); NSS (getpwuid_r) for users it does not list
        // (LDAP, sssd): NSS's set-up costs more than the rest of a `check`.
        let name: String
        if let listed = Self.passwdName(uid) {
            name = listed
        } else {
            var pw = passwd()
            var result: UnsafeMutablePointer<passwd>?
            var buffer = [CChar](repeating: 0, count: 4096)
            if getpwuid_r(uid, &pw, &buffer, buffer.count, &result) == 0, result != nil, let n = pw.pw_name {
                name = String(cString: n)
            } else {
                name = String(uid)
            }
        }
        names[uid] = name
        return name
    }

    /// The name /etc/passwd gives `uid` (the first line with it), if any.
    static func passwdName(_ uid: UInt32, file: String = "/etc/passwd") -> String? {
        guard let text = try? FileFacts.readText(file) else { return nil }
        let wanted = String(uid)
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
            if fields.count >= 3, fields[2] == wanted, !fields[0].isEmpty, !fields[0].hasPrefix("+"), !fields[0].hasPrefix("-") {
                return String(fields[0])
            }
        }
        return nil
    }
}
