import SystemProbes
#if canImport(Glibc)
import Glibc
#endif

/// Input `fleet` cannot use: one line naming the file and what was expected (the CLI exits 2).
public struct FleetInputError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var message: String
    public init(_ file: String, _ message: String) { self.file = file; self.message = message }
    public var description: String { "\(file): \(message)" }
}

/// Files `fleet` reads: bounded, so a runaway capture is refused instead of filling memory.
public enum FleetInput {
    /// Far above a real capture (a check report is about 10 KB, 5,000 events about 8 MB).
    public static let defaultLimit = 16 << 20

    /// The whole file, or an error naming it; never more than `limit` bytes are read.
    public static func read(_ path: String, limit: Int = defaultLimit, hint: String = "") throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FleetInputError(path, "cannot read (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FleetInputError(path, "cannot read (\(String(cString: strerror(errno))))") }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw FleetInputError(path, "is a folder, expected a file") }
        func tooBig(_ size: Int) -> FleetInputError {
            FleetInputError(path, "\(megabytes(size)) is more than the \(megabytes(limit)) this reads\(hint.isEmpty ? "" : ": \(hint)")")
        }
        if (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) > limit { throw tooBig(Int(st.st_size)) }
        var out = [UInt8](repeating: 0, count: min(limit + 1, max(Int(st.st_size) + 1, 65_536)))
        var total = 0
        while true {
            if total == out.count {
                guard out.count <= limit else { throw tooBig(total) }   // a pipe or a file that grew
                out += [UInt8](repeating: 0, count: min(out.count, limit + 1 - out.count))
            }
            let n = out.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + total, $0.count - total) }
            if n < 0 { if errno == EINTR { continue }; throw FleetInputError(path, "read failed (\(String(cString: strerror(errno))))") }
            if n == 0 { break }
            total += n
        }
        if total > limit { throw tooBig(total) }
        out.removeSubrange(total...)
        return out
    }

    /// A JSON document, or an error naming the file and the byte.
    public static func json(_ path: String, limit: Int = defaultLimit, hint: String = "") throws -> JSONValue {
        let bytes = try read(path, limit: limit, hint: hint)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { throw FleetInputError(path, "is empty, expected JSON") }
        do { return try JSONLite.parse(bytes) } catch let e as JSONLiteError {
            throw FleetInputError(path, "\(e.description) (line \(line(of: e.offset, in: bytes)))")
        }
    }

    static func line(of offset: Int, in bytes: [UInt8]) -> Int {
        1 + bytes.prefix(min(offset, bytes.count)).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    static func megabytes(_ n: Int) -> String {
        let mb = Double(n) / 1_048_576
        return mb >= 10 || mb == mb.rounded() ? "\(Int(mb.rounded())) MiB" : "\((mb * 10).rounded() / 10) MiB"
    }
}
