import Foundation

/// How the reports write numbers: "-" where there is none.
enum Cell {
    static func ms(_ v: Double?) -> String { v.map { String(format: "%.0f", $0) } ?? "-" }
    static func s1(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "-" }
    static func s2(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "-" }
    static func s3(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "-" }
    static func x2(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "-" }
    static func signed1(_ v: Double?) -> String { v.map { String(format: "%+.1f", $0) } ?? "-" }
}
