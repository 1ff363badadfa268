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
