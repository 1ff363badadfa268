import Foundation
import SystemProbes
import Basics

/// Reads a log file: our captured logs (`ISO8601 O|E text`, bench stamps each line's arrival in
/// milliseconds), `docker logs --timestamps` output (`RFC3339 text`, nanoseconds), or plain vLLM
/// lines (`INFO 11-23 07:41:58 ...`, 1 s resolution). Stamps are read by hand, in one pass.
public enum LogFileReader {
    /// A start-up log of vLLM is a few MB; 256 MiB is past any we would read in one go.
    public static let sizeLimit = 256 << 20

    /// The lines, and whether their times came from vLLM's own whole-second stamps only.
    public struct Stamped: Sendable {
        public var lines: [TimedLine]
        public var wholeSecondsOnly: Bool
    }

    public static func read(_ path: String, year: Int? = nil) throws(InputReadError) -> [TimedLine] {
        try readStamped(path, year: year).lines
    }

    public static func readStamped(_ path: String, year: Int? = nil) throws(InputReadError) -> Stamped {
        let text = try BoundedRead.text(path, limit: sizeLimit, deadline: 30)
        return parse(text, year: year)
    }

    static func parse(_ text: String, year: Int? = nil) -> Stamped {
        let y = year ?? Calendar(identifier: .gregorian).component(.year, from: Date())
        var lines: [TimedLine] = []
        var last: Date?
        var anyFine = false
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            var stop = end
            if stop > start && bytes[stop - 1] == 0x0D { stop -= 1 }
            defer { start = end + 1 }
            guard stop > start else { continue }
            var body = start
            var when: Date?
            var stream = TimedLine.Stream.stdout
            if let (d, next) = isoStamp(bytes, at: start, end: stop), next < stop, bytes[next] == 0x20 {
                when = d
                anyFine = true
                body = next + 1
                if body + 1 < stop, bytes[body] == 0x4F || bytes[body] == 0x45, bytes[body + 1] == 0x20 {   // "O " / "E "
                    stream = bytes[body] == 0x45 ? .stderr : .stdout
                    body += 2
                }
            }
            if when == nil { when = vllmStamp(bytes, from: start, end: stop, year: y) }
            // Lines without a time (tracebacks) take the previous line's.
            guard let at = when ?? last else { continue }
            last = at
            lines.append(TimedLine(stream: stream, arrival: at, text: String(decoding: bytes[body..<stop], as: UTF8.self)))
        }
        return Stamped(lines: lines, wholeSecondsOnly: !anyFine && !lines.isEmpty)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` at `at`: the time and where it ends.
    static func isoStamp(_ b: [UInt8], at: Int, end: Int) -> (Date, Int)? {
        var i = at
        func digits(_ n: Int) -> Int? {
            guard i + n <= end else { return nil }
            var v = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += n
            return v
        }
        func literal(_ c: UInt8) -> Bool {
            guard i < end, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), literal(0x2D), let month = digits(2), literal(0x2D), let day = digits(2), literal(0x54),
              let hour = digits(2), literal(0x3A), let minute = digits(2), literal(0x3A), let second = digits(2) else { return nil }
        var fraction = 0.0
        if i < end && b[i] == 0x2E {
            i += 1
            var scale = 0.1, n = 0
            while i < end, b[i] >= 0x30 && b[i] <= 0x39 {
                if n < 9 { fraction += Double(b[i] - 0x30) * scale; scale /= 10 }
                n += 1; i += 1
            }
            guard n > 0 else { return nil }
        }
        var offset = 0
        if literal(0x5A) {
        } else if i < end, b[i] == 0x2B || b[i] == 0x2D {
            let sign = b[i] == 0x2D ? -1 : 1
            i += 1
            guard let oh = digits(2), literal(0x3A), let om = digits(2), oh < 24, om < 60 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        } else { return nil }
        guard let s = epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else { return nil }
        return (Date(timeIntervalSince1970: Double(s - offset) + fraction), i)
    }

    /// vLLM's own stamp, `LEVEL MM-DD HH:MM:SS`, anywhere in the line (after a process prefix).
    static func vllmStamp(_ b: [UInt8], from: Int, end: Int, year: Int) -> Date? {
        let levels: [[UInt8]] = ["INFO ", "WARNING ", "DEBUG ", "ERROR "].map { Array($0.utf8) }
        var i = from
        while i < end {
            for level in levels where i + level.count + 14 <= end && b[i] == level[0] {
                guard b[i..<(i + level.count)].elementsEqual(level) else { continue }
                if let d = monthDayTime(b, at: i + level.count, year: year) { return d }
            }
            i += 1
        }
        return nil
    }

    /// `MM-DD HH:MM:SS` at `at`.
    static func monthDayTime(_ b: [UInt8], at: Int, year: Int) -> Date? {
        func two(_ k: Int) -> Int? {
            let x = b[at + k], y = b[at + k + 1]
            guard x >= 0x30 && x <= 0x39 && y >= 0x30 && y <= 0x39 else { return nil }
            return Int(x - 0x30) * 10 + Int(y - 0x30)
        }
        guard b[at + 2] == 0x2D, b[at + 5] == 0x20, b[at + 8] == 0x3A, b[at + 11] == 0x3A,
              let month = two(0), let day = two(3), let hour = two(6), let minute = two(9), let second = two(12),
              let s = epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else { return nil }
        return Date(timeIntervalSince1970: Double(s))
    }

    /// Seconds since 1970 for a UTC civil time (the proleptic Gregorian calendar), or nil when
    /// a field is out of its range.
    static func epochSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int? {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month), (1...monthDays[month - 1]).contains(day), hour < 24, minute < 60, second <= 60 else { return nil }
        // Days from 1970-01-01 (Howard Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86_400 + hour * 3600 + minute * 60 + second
    }
}
