import Basics
import Foundation

/// One column of a report table: its header, its alignment and how a row fills it.
public struct ReportColumn<Row> {
    public enum Alignment: Sendable { case left, right }
    public var header: String
    public var alignment: Alignment
    public var value: (Row) -> String

    public init(_ header: String, _ alignment: Alignment = .left, _ value: @escaping (Row) -> String) {
        self.header = header; self.alignment = alignment; self.value = value
    }
}

/// A table as an ordered list of columns; the same map renders a README table and a terminal one.
public struct ReportTable<Row> {
    public var columns: [ReportColumn<Row>]

    public init(_ columns: [ReportColumn<Row>]) { self.columns = columns }

    public var header: [String] { columns.map(\.header) }

    /// `aligned` false: every column left (the terminal's knob table).
    public func markdown(_ rows: [Row], aligned: Bool = true) -> MarkdownTable {
        MarkdownTable(header: header, rows: rows.map { r in columns.map { $0.value(r) } },
                      rightAligned: aligned ? Set(columns.indices.filter { columns[$0].alignment == .right }) : [])
    }
}

/// How the reports write numbers: "-" where there is none.
enum Cell {
    static func ms(_ v: Double?) -> String { v.map { String(format: "%.0f", $0) } ?? "-" }
    static func s1(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "-" }
    static func s2(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "-" }
    static func s3(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "-" }
    static func x2(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "-" }
    static func signed1(_ v: Double?) -> String { v.map { String(format: "%+.1f", $0) } ?? "-" }
}
