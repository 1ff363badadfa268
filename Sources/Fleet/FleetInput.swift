#if canImport(Glibc)
import Glibc
#endif
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
    public static func json(_ path: String, limit: Int = defaultLimit, hint: String = "", expected: String = "JSON") throws -> JSONValue {
        let bytes = try read(path, limit: limit, hint: hint)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { throw FleetInputError(path, "is empty, expected JSON") }
        if let why = notUTF8JSON(bytes) { throw FleetInputError(path, "\(why): expected \(expected)") }
        do { return try JSONLite.parse(bytes) } catch let e as JSONLiteError {
            if let yaml = yamlLine(bytes) { throw FleetInputError(path, "YAML, not JSON (line \(yaml)): expected \(expected) (kubectl's -o json, not -o yaml)") }
            throw FleetInputError(path, "\(e.description) (line \(line(of: e.offset, in: bytes)))")
        }
    }

    /// Why bytes that are meant to be JSON are text of another encoding, or nil: a byte order
    /// mark (PowerShell's `>` writes UTF-16 with one, Notepad UTF-8 with one) or UTF-16 without
    /// one (a NUL in the first two bytes, where JSON has ASCII). Named before the parser
    /// reports "a value expected at byte 0".
    public static func notUTF8JSON(_ bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return "starts with a UTF-8 byte order mark (bytes 0-2): remove it (sed -i '1s/^\\xEF\\xBB\\xBF//' FILE)" }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            return "UTF-16 text (byte order mark at byte 0): convert it (iconv -f UTF-16 -t UTF-8 FILE), or capture it again from a shell that writes UTF-8"
        }
        if bytes.count >= 2, let nul = bytes.prefix(2).firstIndex(of: 0) {
            return "UTF-16 text (a NUL byte at byte \(nul)): convert it (iconv -f UTF-16 -t UTF-8 FILE), or capture it again from a shell that writes UTF-8"
        }
        return nil
    }

    /// The line number of the first line, when the text reads as YAML rather than JSON: its first
    /// line that is neither blank nor a comment is `---`, a `- ` item or a `key:` (kubectl's
    /// `-o yaml` starts `apiVersion: v1`). Only the place is named, never the text.
    public static func yamlLine(_ bytes: [UInt8]) -> Int? {
        var n = 0
        for raw in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            n += 1
            var line = raw[...]
            while let f = line.first, f == 0x20 || f == 0x09 || f == 0x0D { line = line.dropFirst() }
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            if line.starts(with: Array("---".utf8)) || line.starts(with: Array("- ".utf8)) { return n }
            guard let f = line.first, (f >= 0x41 && f <= 0x5A) || (f >= 0x61 && f <= 0x7A) || f == 0x5F || f == 0x22 || f == 0x27 else { return nil }
            let key = line.prefix { $0 != UInt8(ascii: ":") }
            guard key.count < line.count, !key.contains(UInt8(ascii: "{")), !key.contains(UInt8(ascii: "[")) else { return nil }
            let after = line.dropFirst(key.count + 1)
            return after.isEmpty || after.first == 0x20 || after.first == 0x09 || after.first == 0x0D ? n : nil
        }
        return nil
    }

    /// What a path is when it is not a file `fleet` can read as one (links followed): nil for a
    /// regular file, else its kind in words, for one line that names the entry.
    public static func notAFile(_ path: String) -> String? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return "no such file or folder" }
        if st.st_mode & S_IFMT == S_IFLNK {
            var target = stat()
            guard stat(path, &target) == 0 else { return "a symbolic link to \(FileFacts.readLink(path) ?? "?"), which does not exist" }
            st = target
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a folder"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        default: return "not a plain file"
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
