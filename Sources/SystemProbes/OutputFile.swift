#if canImport(Glibc)
import Glibc
#endif
import Basics

/// The one rule for every file the tool writes (an SVG, a results JSON, a README, a model
/// file, an edited `.env`): it may create a new name in an existing folder, or replace a
/// regular file. Anything else at the path (a device, a FIFO, a socket, a folder, a symbolic
/// link, even one to a regular file) is refused and nothing is written: renaming over a
/// device node as root would replace the host's `/dev/null`, and following a link planted in
/// a shared folder would write wherever it points. A link is refused rather than resolved so
/// that what gets written is always the path the user named.
public enum OutputFile {
    /// Why `path` may not be written, or nil when it may: checked before long work, so that a
    /// bench or a probe refuses at once instead of after its runs.
    public static func problem(_ path: String) -> OutputFileError? {
        guard !path.isEmpty, !path.hasSuffix("/") else { return OutputFileError(path: path, reason: "expected a file name, not a folder") }
        var st = stat()
        if lstat(path, &st) == 0 {
            let type = st.st_mode & S_IFMT
            if type != S_IFREG { return refusal(path, type: type) }
            if access(path, W_OK) != 0 { return OutputFileError(path: path, reason: "cannot write it: \(String(cString: strerror(errno)))") }
        } else if errno != ENOENT && errno != ENOTDIR {
            return OutputFileError(path: path, reason: "cannot look at it: \(String(cString: strerror(errno)))")
        }
        let folder = folderAndName(path).folder
        var fst = stat()
        guard stat(folder, &fst) == 0 else { return OutputFileError(path: path, reason: "cannot write: its folder \(folder) does not exist") }
        guard fst.st_mode & S_IFMT == S_IFDIR else { return OutputFileError(path: path, reason: "cannot write: \(folder) is not a folder") }
        if access(folder, W_OK) != 0 {
            return OutputFileError(path: path, reason: "cannot write in its folder \(folder): \(String(cString: strerror(errno)))")
        }
        return nil
    }

    /// Throws `problem(path)` when there is one.
    public static func check(_ path: String) throws(OutputFileError) {
        if let p = problem(path) { throw p }
    }

    /// Writes `bytes` as the whole content of `path`: a temporary file beside it (same
    /// filesystem, a name no one else holds), flushed, then renamed over the path. An existing
    /// regular file keeps its mode and, where allowed, its owner; a new one gets `mode`.
    public static func write(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(OutputFileError) {
        try check(path)
        var existing = stat()
        let replacing = lstat(path, &existing) == 0
        let (folder, name) = folderAndName(path)
        // A hidden name no one else holds (mkstemp's O_EXCL), short enough for any file name.
        var template = (folder == "/" ? [] : Array(folder.utf8)) + Array("/.".utf8) + Array(name.utf8.prefix(64)) + Array(".sllm-doctor-XXXXXX".utf8)
        template.append(0)
        let fd = template.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { mkstemp($0.baseAddress!) }
        }
        guard fd >= 0 else { throw OutputFileError(path: path, reason: "cannot write in its folder \(folder): \(String(cString: strerror(errno)))") }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let tmp = String(decoding: template.dropLast(), as: UTF8.self)
        func fail(_ what: String) -> OutputFileError {
            let why = String(cString: strerror(errno))
            close(fd); unlink(tmp)
            return OutputFileError(path: path, reason: "\(what): \(why)")
        }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!.advanced(by: offset), bytes.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw fail("cannot write") }
            offset += n
        }
        if replacing {
            fchmod(fd, existing.st_mode & 0o7777)
            _ = fchown(fd, existing.st_uid, existing.st_gid)   // only root may; others keep their own
        } else {
            fchmod(fd, mode)
        }
        guard fsync(fd) == 0 else { throw fail("cannot flush") }
        close(fd)
        // Looked at again just before the rename: what is there may have changed during a
        // long write; rename replaces a name, never what a link points to.
        if let p = problem(path) { unlink(tmp); throw p }
        guard rename(tmp, path) == 0 else {
            let why = String(cString: strerror(errno)); unlink(tmp)
            throw OutputFileError(path: path, reason: "cannot replace it: \(why)")
        }
    }

    public static func write(_ path: String, text: String, mode: mode_t = 0o644) throws(OutputFileError) {
        try write(path, Array(text.utf8), mode: mode)
    }

    /// A file descriptor for writing `path` in place (logs and model shards written as they are
    /// made): created when new, emptied when a regular file; refused, without emptying
    /// anything, when it is anything else. The type is read from the open file itself, so
    /// nothing can be swapped in between the look and the write.
    public static func openForWriting(_ path: String, mode: mode_t = 0o644) throws(OutputFileError) -> Int32 {
        if let p = problem(path) { throw p }
        // O_NOFOLLOW: a link is refused (ELOOP); O_NONBLOCK: a FIFO without a reader cannot
        // hang the open; no O_TRUNC until the type is known.
        let fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, mode)
        guard fd >= 0 else {
            let code = errno
            var st = stat()
            if lstat(path, &st) == 0, st.st_mode & S_IFMT != S_IFREG { throw refusal(path, type: st.st_mode & S_IFMT) }
            throw OutputFileError(path: path, reason: "cannot write it: \(String(cString: strerror(code)))")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else { close(fd); throw OutputFileError(path: path, reason: "cannot look at it") }
        guard st.st_mode & S_IFMT == S_IFREG else { close(fd); throw refusal(path, type: st.st_mode & S_IFMT) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        guard ftruncate(fd, 0) == 0 else {
            let why = String(cString: strerror(errno)); close(fd)
            throw OutputFileError(path: path, reason: "cannot empty it: \(why)")
        }
        return fd
    }

    /// The folder a path names its file in ("." for a bare name) and the file's name.
    static func folderAndName(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let name = String(path[path.index(after: slash)...])
        return (slash == path.startIndex ? "/" : String(path[..<slash]), name)
    }

    static func refusal(_ path: String, type: mode_t) -> OutputFileError {
        let what: String
        switch type {
        case S_IFLNK:
            let target = FileFacts.readLink(path).map { " to \($0)" } ?? ""
            var st = stat()
            let dangling = stat(path, &st) != 0
            what = "a symbolic link\(target)\(dangling ? ", which does not exist" : "")"
        case S_IFIFO: what = "a FIFO (named pipe)"
        case S_IFCHR: what = "a character device"
        case S_IFBLK: what = "a block device"
        case S_IFDIR: what = "a folder"
        case S_IFSOCK: what = "a socket"
        default: what = "not a plain file"
        }
        let hint = type == S_IFLNK ? "name the file itself" : type == S_IFDIR ? "name a file inside it" : "name a new file"
        return OutputFileError(path: path, reason: "\(what): only a new file or a regular file is replaced, nothing was written (\(hint))")
    }
}

/// Why an output was not written: the path and, in words, what is there or what failed.
public struct OutputFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path): \(reason)" }
}
