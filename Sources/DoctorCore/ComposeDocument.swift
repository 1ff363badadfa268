import Foundation
import SystemProbes

/// One compose file as compose reads it, with the line of every value: what the environment
/// resolver and the in-process validation walk. Read with a bound (a regular file, at most
/// `maxBytes`, opened without blocking: a FIFO named as a compose file is refused, not waited on).
public struct ComposeDocument: @unchecked Sendable {
    // Sendable by hand: `root` holds only the plain values SafeYAML makes and is never mutated.
    public var path: String
    public var root: [String: Any]
    /// Line of each value by key path ("services/web/environment/HF_HUB_OFFLINE").
    public var lines: [String: Int]

    public var directory: String { FileFacts.parent(of: path) }
    public var services: [String: Any]? { root["services"] as? [String: Any] }

    public func line(_ keyPath: String...) -> Int? { lines[keyPath.joined(separator: "/")] }
    public func line(path keyPath: String) -> Int? { lines[keyPath] }

    public static let maxBytes = 4 << 20

    public static func load(path: String) throws(ComposeFile.ParseError) -> ComposeDocument {
        let text = try readText(path, limit: maxBytes)
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws(ComposeFile.ParseError) -> ComposeDocument {
        let located: (value: Any?, lines: [String: Int])
        do { located = try SafeYAML.loadLocated(text, path: path) }
        catch let e as SafeYAML.LoadError { throw ComposeFile.ParseError(path: path, line: e.line, message: e.message) }
        catch { throw ComposeFile.ParseError(path: path, message: "\(error)") }
        if located.value == nil || located.value is NSNull {
            throw ComposeFile.ParseError(path: path, message: "empty file (expected a mapping with 'services:')")
        }
        guard let root = located.value as? [String: Any] else {
            throw ComposeFile.ParseError(path: path, line: 1, message: "expected a mapping at the top (services: ...), found \(ComposeShape.describe(located.value!))")
        }
        return ComposeDocument(path: path, root: root, lines: located.lines)
    }

    /// A file compose names (a compose file, an env_file): a regular file, read whole up to
    /// `limit` bytes, as UTF-8. The message says which of these it is not.
    public static func readText(_ path: String, limit: Int) throws(ComposeFile.ParseError) -> String {
        let bytes: [UInt8]
        switch BoundedFileRead.read(path, limit: limit) {
        case .bytes(let b): bytes = b
        case .refused(let why): throw ComposeFile.ParseError(path: path, message: why)
        }
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        guard let text = String(validating: body, as: UTF8.self) else {
            let offset = ComposeDocument.firstInvalidUTF8(body)
            let line = 1 + body.prefix(offset).filter { $0 == 10 }.count
            throw ComposeFile.ParseError(path: path, line: line, message: "not UTF-8 text (an invalid byte at offset \(offset))")
        }
        return text
    }

    static func firstInvalidUTF8(_ bytes: ArraySlice<UInt8>) -> Int {
        var lo = 0, hi = bytes.count
        // The longest valid prefix, by halving (a prefix cut inside a character is invalid too,
        // so this lands within 3 bytes of the bad one; good enough to point at its line).
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if String(validating: bytes.prefix(mid), as: UTF8.self) != nil { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }
}

/// Reads a small file the user names, without blocking and without reading past a limit.
public enum BoundedFileRead {
    public enum Outcome: Sendable { case bytes([UInt8]), refused(String) }

    public static func read(_ path: String, limit: Int) -> Outcome {
        var st = stat()
        if lstat(path, &st) != 0 { return .refused(errno == ENOENT ? "no such file" : String(cString: strerror(errno))) }
        if (st.st_mode & S_IFMT) == S_IFLNK {
            var target = stat()
            if stat(path, &target) != 0 {
                return .refused(errno == ELOOP ? "a symlink that loops" : "a broken symlink (to \(FileFacts.readLink(path) ?? "?"))")
            }
            st = target
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: return .refused("a directory, not a file")
        case S_IFIFO: return .refused("a FIFO, not a regular file: refusing to wait on it")
        case S_IFCHR, S_IFBLK: return .refused("a device, not a regular file")
        case S_IFSOCK: return .refused("a socket, not a regular file")
        default: return .refused("not a regular file")
        }
        if st.st_size > limit { return .refused("\(st.st_size) bytes: larger than the \(limit >> 10) KiB this file can reasonably be") }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { return .refused(errno == EACCES ? "permission denied" : String(cString: strerror(errno))) }
        defer { close(fd) }
        var after = stat()
        guard fstat(fd, &after) == 0, (after.st_mode & S_IFMT) == S_IFREG else { return .refused("not a regular file") }
        var out = [UInt8](repeating: 0, count: limit + 1)
        var total = 0
        while total <= limit {
            let n = out.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + total, limit + 1 - total) }
            if n < 0 { if errno == EINTR { continue }; return .refused(String(cString: strerror(errno))) }
            if n == 0 { break }
            total += n
        }
        if total > limit { return .refused("larger than the \(limit >> 10) KiB this file can reasonably be") }
        out.removeSubrange(total...)
        return .bytes(out)
    }
}

/// Words for a YAML value's shape in messages.
public enum ComposeShape {
    public static func describe(_ v: Any) -> String {
        switch v {
        case is [String: Any]: return "a mapping"
        case is [Any]: return "a list"
        case is NSNull: return "nothing (null)"
        case is Bool: return "a boolean"
        case is Int, is Double: return "a number"
        case is String: return "a string"
        default: return "a value"
        }
    }
}

extension CheckContext {
    /// vllm_bridge/docker-compose.yml, read and parsed once per run (offline.compose and
    /// runtime.compose both walk it).
    public var composeDocument: Result<ComposeDocument, ComposeFile.ParseError> {
        memoized("compose document") { [self] in
            do { return .success(try ComposeDocument.load(path: composePath)) } catch { return .failure(error) }
        }
    }
}
