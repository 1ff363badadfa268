import Basics

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
