#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Basics

/// Atomic file edits: the new content goes to a temporary file beside the original (same
/// filesystem), is flushed, the original is copied to `<file>.bak`, then rename() replaces it.
public enum AtomicFile {
    public static func replace(_ path: String, with data: Data, backup: Bool = true) throws {
        let facts = FileFacts.facts(path)
        let tmp = path + ".sllm-doctor.tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: data) else {
            throw AtomicFileError("cannot write \(tmp): \(String(cString: strerror(errno)))")
        }
        if facts.exists {
            chmod(tmp, mode_t(facts.mode))
            chown(tmp, facts.ownerUID, facts.groupGID)
        }
        let fd = open(tmp, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
        if backup && facts.exists {
            let bak = path + ".bak"
            try? FileManager.default.removeItem(atPath: bak)
            do { try FileManager.default.copyItem(atPath: path, toPath: bak) }
            catch { unlink(tmp); throw AtomicFileError("cannot write backup \(bak): \(error.localizedDescription)") }
        }
        guard rename(tmp, path) == 0 else {
            let e = String(cString: strerror(errno)); unlink(tmp)
            throw AtomicFileError("cannot replace \(path): \(e)")
        }
    }
}

/// Why a file could not be replaced (the temporary copy, the backup or the rename).
public struct AtomicFileError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
