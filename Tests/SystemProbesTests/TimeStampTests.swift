import Foundation
import Testing
import Basics
import SystemProbes

/// Time stamps moved to Basics without Foundation: they must read exactly as the
/// DateFormatter they replace wrote them (results files and bench logs are compared by eye
/// and by tools).
@Suite("time stamps without Foundation")
struct TimeStampTests {
    static func formatter() -> DateFormatter {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
        return f
    }

    @Test func matchesDateFormatterOnRandomMoments() {
        let f = Self.formatter()
        var rng = SystemRandomNumberGenerator()
        // 1601 to 9999: DateFormatter switches to the Julian calendar before 1582.
        let low: Int64 = -11_644_473_600_000, high: Int64 = 253_402_300_799_000
        var moments: [Double] = [0, 0.0005, 951_782_400.25, 4_107_542_400, -86_400.5]   // 2000-02-29, 2100-03-01
        for _ in 0..<20_000 {
            // Whole milliseconds plus a part of one, away from the boundary either way.
            moments.append(Double(Int64.random(in: low...high, using: &rng)) / 1000 + 0.0004)
        }
        for s in moments {
            let expected = f.string(from: Date(timeIntervalSince1970: s))
            #expect(isoMillis(secondsSince1970: s) == expected, "\(s)")
            #expect(isoMillis(Date(timeIntervalSince1970: s)) == expected, "\(s)")
        }
    }

    @Test func daysAtTheEdgesOfMonthsAndLeapYears() {
        #expect(isoMillis(secondsSince1970: 0) == "1970-01-01T00:00:00.000Z")
        #expect(isoMillis(secondsSince1970: 951_782_400.042) == "2000-02-29T00:00:00.042Z")
        #expect(isoMillis(secondsSince1970: 4_107_542_399.999) == "2100-02-28T23:59:59.999Z")
        #expect(isoMillis(secondsSince1970: -0.001) == "1969-12-31T23:59:59.999Z")
        #expect(isoMillis(secondsSince1970: .nan) == "invalid-time")
    }
}
