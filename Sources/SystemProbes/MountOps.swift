import CLibMount
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Basics

public enum MountOpsError: Error, CustomStringConvertible {
    case failed(String)
    public var description: String { switch self { case .failed(let s): return s } }
}

/// Mounting and unmounting through libmount's context API (what mount(8) itself uses):
/// errors come back as messages instead of being hidden by `2>/dev/null || true`.
public enum MountOps {
    public static func mount(source: String, target: String, fstype: String?, options: String? = nil) throws {
        guard let cxt = mnt_new_context() else { throw MountOpsError.failed("mnt_new_context failed") }
        defer { mnt_free_context(cxt) }
        mnt_context_set_source(cxt, source)
        mnt_context_set_target(cxt, target)
        if let fstype { mnt_context_set_fstype(cxt, fstype) }
        if let options { mnt_context_set_options(cxt, options) }
        // Do not consult /etc/fstab: mount exactly what we were told.
        mnt_context_disable_helpers(cxt, 1)
        let rc = mnt_context_mount(cxt)
        try check(cxt, rc, what: "mount \(source) on \(target)")
    }

    public static func unmount(target: String) throws {
        guard let cxt = mnt_new_context() else { throw MountOpsError.failed("mnt_new_context failed") }
        defer { mnt_free_context(cxt) }
        mnt_context_set_target(cxt, target)
        mnt_context_disable_helpers(cxt, 1)
        let rc = mnt_context_umount(cxt)
        try check(cxt, rc, what: "umount \(target)")
    }

    private static func check(_ cxt: OpaquePointer, _ rc: Int32, what: String) throws {
        var buffer = [CChar](repeating: 0, count: 512)
        let ex = mnt_context_get_excode(cxt, rc, &buffer, buffer.count)
        guard ex != 0 else { return }
        let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let syscallErrno = mnt_context_get_syscall_errno(cxt)
        let detail = message.isEmpty ? (syscallErrno != 0 ? String(cString: strerror(syscallErrno)) : "exit code \(ex)") : message
        throw MountOpsError.failed("\(what): \(detail)")
    }
}
