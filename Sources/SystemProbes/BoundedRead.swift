#if canImport(Glibc)
import Glibc
import Basics
#endif

/// Why an input file could not be read, in words a user acts on. Every file the tool reads
/// (`.env`, compose files, plans, logs, reports) comes through `BoundedRead`, so a FIFO, a
/// device, a link to nowhere or a 50 GB file gets one of these instead of a hang or an abort.
public enum InputReadError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(path: String)
    case danglingLink(path: String, target: String)
    case linkLoop(path: String)
    case notRegularFile(path: String, kind: String)
    case tooLarge(path: String, bytes: UInt64, limit: Int)
    case permissionDenied(path: String, uid: UInt32)
    case timedOut(path: String, seconds: Double)
    case invalidUTF8(path: String, byteOffset: Int)
    case failed(path: String, reason: String)

    public var path: String {
        switch self {
        case .missing(let p), .danglingLink(let p, _), .linkLoop(let p), .notRegularFile(let p, _),
             .tooLarge(let p, _, _), .permissionDenied(let p, _), .timedOut(let p, _), .invalidUTF8(let p, _),
             .failed(let p, _): p
        }
    }

    /// Only a path with nothing at all behind it is "absent"; a broken link is a mistake to name.
    public var isMissing: Bool { if case .missing = self { true } else { false } }

    /// The reason alone, for messages that already name the file.
    public var reason: String {
        switch self {
        case .missing: "no such file"
        case .danglingLink(_, let target): "a symbolic link to \(target), which does not exist"
        case .linkLoop: "a loop of symbolic links (too many levels)"
        case .notRegularFile(_, let kind): "\(kind), not a regular file"
        case .tooLarge(_, let bytes, let limit): "\(bytes) bytes, over the \(limit)-byte limit for this file"
        case .permissionDenied(_, let uid): "permission denied for uid \(uid): read it with sudo, or give this user read access"
        case .timedOut(_, let seconds): "not read within \(BoundedRead.formatSeconds(seconds)) s"
        case .invalidUTF8(_, let offset): "not UTF-8 text (invalid bytes at offset \(offset))"
        case .failed(_, let reason): reason
        }
    }

    public var description: String { "\(path): \(reason)" }
}

public enum BoundedRead {
    /// Sizes of the inputs: a `.env` or compose file is a few KB; 4 MiB is far past any real one.
    public static let textLimit = 4 << 20
    public static let defaultDeadline = 2.0

    /// The file's bytes, or why not: a regular file (links followed), at most `limit` bytes,
    /// read within `deadline` seconds. A FIFO is never opened for a blocking read.
    public static func bytes(_ path: String, limit: Int = textLimit, deadline: Double = defaultDeadline) throws(InputReadError) -> [UInt8] {
        let started = monotonicSeconds()
        let (fd, st) = try openRegularFile(path)
        defer { close(fd) }
        if st.st_size > limit { throw .tooLarge(path: path, bytes: UInt64(st.st_size), limit: limit) }
        // procfs and sysfs report size 0 for files that hold text: read up to the limit anyway.
        var out = [UInt8](repeating: 0, count: min(limit + 1, max(Int(st.st_size) + 1, 4096)))
        var total = 0
        while true {
            if monotonicSeconds() - started > deadline { throw .timedOut(path: path, seconds: deadline) }
            if total == out.count {
                if out.count > limit { throw .tooLarge(path: path, bytes: UInt64(total), limit: limit) }
                out += [UInt8](repeating: 0, count: min(out.count, limit + 1 - out.count))
            }
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + total, $0.count - total) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .failed(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            total += n
            if total > limit { throw .tooLarge(path: path, bytes: UInt64(total), limit: limit) }
        }
        out.removeSubrange(total...)
        return out
    }

    /// The file as text; invalid UTF-8 is lossily decoded (most readers want what is there).
    public static func text(_ path: String, limit: Int = textLimit, deadline: Double = defaultDeadline) throws(InputReadError) -> String {
        String(decoding: try bytes(path, limit: limit, deadline: deadline), as: UTF8.self)
    }

    /// The file as text, refusing invalid UTF-8 with its offset (YAML must be UTF-8).
    public static func strictText(_ path: String, limit: Int = textLimit, deadline: Double = defaultDeadline) throws(InputReadError) -> String {
        let data = try bytes(path, limit: limit, deadline: deadline)
        if let text = String(validating: data, as: UTF8.self) { return text }
        throw .invalidUTF8(path: path, byteOffset: firstInvalidUTF8Offset(data))
    }

    /// Why the path could not be read as a regular file, without reading it (nil: it can).
    public static func openProblem(_ path: String) -> InputReadError? {
        do { close(try openRegularFile(path).fd); return nil } catch { return error }
    }

    /// The open file and its stat, or why it is not a regular file this user may read.
    /// O_NONBLOCK: opening a FIFO with no writer would wait forever; the type check follows.
    static func openRegularFile(_ path: String) throws(InputReadError) -> (fd: Int32, stat: stat) {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw openFailure(path, errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { let why = String(cString: strerror(errno)); close(fd); throw .failed(path: path, reason: why) }
        let type = st.st_mode & S_IFMT
        guard type == S_IFREG else { close(fd); throw .notRegularFile(path: path, kind: kindName(type)) }
        return (fd, st)
    }

    /// What an open failure means, telling a link to nowhere and a link loop from absence.
    static func openFailure(_ path: String, _ code: Int32) -> InputReadError {
        switch code {
        case ELOOP: return .linkLoop(path: path)
        case EACCES, EPERM: return .permissionDenied(path: path, uid: getuid())
        case ENOENT, ENOTDIR:
            var st = stat()
            if lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK {
                return .danglingLink(path: path, target: FileFacts.readLink(path) ?? "?")
            }
            return .missing(path: path)
        default: return .failed(path: path, reason: String(cString: strerror(code)))
        }
    }

    static func kindName(_ type: mode_t) -> String {
        switch type {
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFDIR: "a directory"
        case S_IFSOCK: "a socket"
        default: "not a plain file"
        }
    }

    static func firstInvalidUTF8Offset(_ data: [UInt8]) -> Int {
        var offset = 0
        var iterator = data.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s): offset += UTF8.width(s)
            case .emptyInput: return offset
            case .error: return offset
            }
        }
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func formatSeconds(_ s: Double) -> String {
        s == s.rounded() ? String(Int(s)) : String(s)
    }
}
