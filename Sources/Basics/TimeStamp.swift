/// A moment as `2026-12-02T12:35:07.042Z` (UTC, milliseconds), from seconds since 1970,
/// without Foundation's DateFormatter (its first use sets up ICU). Milliseconds are cut, not
/// rounded, as DateFormatter cuts them; a moment before 1970 counts back from the epoch.
public func isoMillis(secondsSince1970 seconds: Double) -> String {
    guard seconds.isFinite, abs(seconds) < 1e14 else { return "invalid-time" }
    let totalMillis = Int64((seconds * 1000).rounded(.down))
    let (days, millisOfDay) = floorDivision(totalMillis, 86_400_000)
    let (year, month, day) = civilDate(daysSince1970: days)
    let hour = millisOfDay / 3_600_000, minute = millisOfDay / 60_000 % 60
    let second = millisOfDay / 1000 % 60, millis = millisOfDay % 1000
    return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))T\(padded(hour, 2)):\(padded(minute, 2)):\(padded(second, 2)).\(padded(millis, 3))Z"
}

private func floorDivision(_ a: Int64, _ b: Int64) -> (quotient: Int64, remainder: Int64) {
    let q = a / b, r = a % b
    return r < 0 ? (q - 1, r + b) : (q, r)
}

private func padded(_ n: Int64, _ width: Int) -> String {
    let digits = String(n < 0 ? -n : n)
    return (n < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// The proleptic Gregorian date of a day counted from 1970-01-01: eras of 400 years (146,097
/// days) whose years start on 1 March, so the leap day ends a year.
private func civilDate(daysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
    let shifted = days + 719_468                       // days since 0000-03-01
    let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
    let dayOfEra = shifted - era * 146_097                                   // 0...146096
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)   // from 1 March
    let monthFromMarch = (5 * dayOfYear + 2) / 153                           // 0 = March
    let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
    let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
}
