/// A GitHub-flavoured markdown table, the one builder behind every table the tool prints or
/// writes: bench's terminal summary, the anatomy, the explore table and benchmarks/README.md.
public struct MarkdownTable: Sendable, Equatable {
    public var header: [String]
    public var rows: [[String]]
    /// Columns set right (`---:`), by index.
    public var rightAligned: Set<Int>

    /// `rightAligned` nil: the columns whose header names a number (a unit in brackets, a count).
    public init(header: [String], rows: [[String]] = [], rightAligned: Set<Int>? = nil) {
        self.header = header
        self.rows = rows
        self.rightAligned = rightAligned ?? Set(header.indices.filter { Self.namesANumber(header[$0]) })
    }

    public var headerLine: String { Self.line(header) }
    public var separatorLine: String {
        "|" + header.indices.map { rightAligned.contains($0) ? "---:" : "---" }.joined(separator: "|") + "|"
    }
    public var rowLines: [String] { rows.map(Self.line) }
    /// Header, separator and rows, each line ending in a newline.
    public var text: String { ([headerLine, separatorLine] + rowLines).map { $0 + "\n" }.joined() }

    /// One row. A cell cannot hold `|` or a line break (they would end it): they become `/` and
    /// a space; control characters (a variant name from a hand-made file) are shown, not sent
    /// (`TerminalSafe`). Empty cells after the last filled one are bare pipes (a note spanning the row).
    public static func line(_ cells: [String]) -> String {
        let clean = cells.map { TerminalSafe.visible($0.replacingEvery("|", with: "/").replacingEvery("\n", with: " ")) }
        let filled = (clean.lastIndex { !$0.isEmpty } ?? -1) + 1
        let trailing = clean.count - filled
        return "| " + clean.prefix(filled).joined(separator: " | ") + " |" + String(repeating: "|", count: trailing)
    }

    static func namesANumber(_ column: String) -> Bool {
        ["(ms)", "(s)", "(x)", "(tok/s)", "(%)"].contains { column.hasSuffix($0) } || column == "Runs" || column == "Runs ok"
    }
}
