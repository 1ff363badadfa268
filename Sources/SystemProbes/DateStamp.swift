import Foundation
import Basics

/// A `Date` as a log or results time stamp (`Basics.isoMillis(secondsSince1970:)`): the
/// Foundation side of the one formatter.
public func isoMillis(_ date: Date) -> String { isoMillis(secondsSince1970: date.timeIntervalSince1970) }

/// A date in UTC with a fixed POSIX format (file names such as `20261202_123507`).
public func utcString(_ date: Date, format: String) -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = format
    return f.string(from: date)
}
