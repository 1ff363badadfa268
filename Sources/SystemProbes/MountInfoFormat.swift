/// The shape of a captured `/proc/self/mountinfo`, checked line by line before libmount reads
/// it: libmount guesses a file's format from its first line and skips a line it cannot parse
/// without a word, so a `/proc/mounts` copy or a cut line would be judged as a smaller table.
public enum MountInfoFormat {
    /// A captured table is a few hundred lines; a node with thousands of mounts stays far below.
    public static let byteLimit = 64 << 20

    static let expected = "expected /proc/self/mountinfo format (ID PARENT MAJOR:MINOR ROOT MOUNT-POINT OPTIONS [TAGS…] - FSTYPE SOURCE SUPER-OPTIONS; `cat /proc/self/mountinfo` on that host)"

    /// The first line that is not a mountinfo line, with why; nil when every line is one.
    /// One pass over the bytes; blank lines and `#` comments are skipped as libmount skips them.
    public static func problem(in bytes: [UInt8]) -> (line: Int, reason: String)? {
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            if let reason = problem(line: bytes[start..<end]) { return (lineNumber, reason) }
            start = end + 1
        }
        return nil
    }

    /// Reads the file (bounded) and checks it; the error names the file and the line.
    public static func check(path: String) throws(MountTableError) {
        let bytes: [UInt8]
        do { bytes = try BoundedRead.bytes(path, limit: byteLimit) }
        catch { throw .cannotRead(path: path, reason: error.reason) }
        if let (line, reason) = problem(in: bytes) { throw .badLine(path: path, line: line, reason: reason) }
    }

    static func problem(line: ArraySlice<UInt8>) -> String? {
        // Only the first six fields and where the lone "-" is are kept: memory stays constant
        // however many fields a hostile line has.
        var head: [ArraySlice<UInt8>] = []
        var count = 0
        var separator: Int?
        var i = line.startIndex
        while i < line.endIndex {
            while i < line.endIndex, isBlank(line[i]) { i += 1 }
            let begin = i
            while i < line.endIndex, !isBlank(line[i]) { i += 1 }
            guard begin < i else { continue }
            let field = line[begin..<i]
            if head.count < 6 { head.append(field) }
            if separator == nil, field.count == 1, field.first == 0x2D /* - */ { separator = count }
            count += 1
        }
        guard let first = head.first, first.first != 0x23 /* # */ else { return nil }
        if separator == nil, count == 6, isNumber(head[4]), isNumber(head[5]) {
            return "this is /proc/mounts format (SOURCE MOUNT-POINT FSTYPE OPTIONS 0 0, no ' - ' separator); \(expected)"
        }
        guard count >= 3, isNumber(head[0]), isNumber(head[1]), isDevno(head[2]) else {
            return "not a mountinfo line (it should start with two numbers and MAJOR:MINOR); \(expected)"
        }
        guard let separator, separator >= 6, count - separator >= 3 else {
            return "not a whole mountinfo line (no ' - ' separator after the options, or nothing after it); \(expected)"
        }
        return nil
    }

    private static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }
    private static func isNumber(_ s: ArraySlice<UInt8>) -> Bool { !s.isEmpty && s.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
    private static func isDevno(_ s: ArraySlice<UInt8>) -> Bool {
        guard let colon = s.firstIndex(of: 0x3A) else { return false }
        return isNumber(s[s.startIndex..<colon]) && isNumber(s[(colon + 1)...])
    }
}
