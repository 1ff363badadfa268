import Foundation
import Runbook
import Basics

/// Input the user gave that cannot be used (a plan key, a flag, a shape name): the CLI exits 2.
public func median(_ xs: [Double]) -> Double? {
    guard !xs.isEmpty else { return nil }
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

public func isoMillis(_ d: Date) -> String { utcString(d, format: "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'") }

/// A date in UTC with a fixed POSIX format (file names, log stamps).
public func utcString(_ d: Date, format: String) -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = format
    return f.string(from: d)
}
