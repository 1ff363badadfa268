import Foundation
import Basics

/// Atomic file edits (`fix` on `.env`, the compose file, fstab): the original is copied to
/// `<file>.bak`, then `OutputFile.write` replaces it (a temporary file beside it, flushed,
/// renamed over it). `OutputFile`'s rule holds: only a regular file is replaced, never a
/// device, a FIFO or a link, which an edit would otherwise turn into a plain file.
public enum AtomicFile {
    public static func replace(_ path: String, with data: Data, backup: Bool = true) throws {
        if let problem = OutputFile.problem(path) { throw AtomicFileError(problem.description) }
        let facts = FileFacts.facts(path, follow: false)
        if backup && facts.exists {
            // A fresh copy with the original's mode: a .env holding a token stays private.
            let bak = path + ".bak"
            do {
                let original = try BoundedRead.bytes(path, limit: 64 << 20)
                if let problem = OutputFile.problem(bak) { throw problem }
                unlink(bak)
                try OutputFile.write(bak, original, mode: mode_t(facts.mode))
            } catch { throw AtomicFileError("cannot write backup \(bak): \(error)") }
        }
        do { try OutputFile.write(path, Array(data)) } catch { throw AtomicFileError(error.description) }
    }
}

/// Why a file could not be replaced (the temporary copy, the backup or the rename).
public struct AtomicFileError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
