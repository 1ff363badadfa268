import SystemProbes
import Basics

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

    /// The whole file, or an error naming it: through `BoundedRead`, so never more than `limit`
    /// bytes, never a FIFO or device, never a read that hangs.
    public static func read(_ path: String, limit: Int = defaultLimit, hint: String = "") throws -> [UInt8] {
        do { return try BoundedRead.bytes(path, limit: limit, deadline: 10) } catch {
            if case .tooLarge(_, let bytes, _) = error {
                throw FleetInputError(path, "\(megabytes(Int(clamping: bytes))) is more than the \(megabytes(limit)) this reads\(hint.isEmpty ? "" : ": \(hint)")")
            }
            throw FleetInputError(path, error.reason)
        }
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
