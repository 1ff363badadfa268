import Foundation
import Basics

/// flutter-doctor-style text: one block per area, a mark per check, fix hints; `-v` adds evidence.
public struct HumanRenderer: Sendable {
    public var verbose: Bool
    public var color: Bool
    public var redact: Redactor

    public init(verbose: Bool, color: Bool, redact: Redactor) {
        self.verbose = verbose; self.color = color; self.redact = redact
    }

    /// Colour only on a terminal and never with NO_COLOR set.
    public static func wantsColor(isTTY: Bool, environment: [String: String]) -> Bool {
        isTTY && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
    }

    /// The mark of a status, coloured when the terminal wants colour.
    public func mark(_ s: CheckStatus) -> TerminalText {
        let (symbol, style): (String, TerminalText.Style) = switch s {
        case .pass: ("✓", .green)
        case .warn: ("!", .yellow)
        case .fail: ("✗", .red)
        case .skip: ("–", .grey)
        }
        return .styled(style, "[\(symbol)]")
    }

    /// Evidence values of more lines than this show the first ones and how many more.
    static let evidenceLineLimit = 64
    /// A check with more evidence items than this (50,000 leftover containers) shows these.
    static let evidenceItemLimit = 100

    /// The report as terminal text: the tool's words as written; each check's summary, fix
    /// and evidence foreign (redacted, capped and shown visibly when rendered).
    public func text(_ reports: [CheckReport]) -> TerminalText {
        var out = TerminalText()
        for area in CheckArea.allCases {
            let inArea = reports.filter { $0.area == area }
            guard !inArea.isEmpty else { continue }
            let worst = inArea.map(\.result.status).filter { $0 != .skip }.max() ?? .skip
            out += "\(mark(worst)) \(own: area.heading)\n"
            for r in inArea {
                out += "    \(mark(r.result.status)) \(own: r.id): \(r.result.summary)\n"
                if verbose {
                    out += "        duration: \(own: Self.formatDuration(r.durationMs))\n"
                    let items = r.result.evidence.items
                    for (k, v) in items.prefix(Self.evidenceItemLimit) {
                        // Each line of a value indented, so none can pass for a check's line.
                        out += "        \(k): \(TerminalText.foreignLines(v, indent: "          ", maxLines: Self.evidenceLineLimit))\n"
                    }
                    if items.count > Self.evidenceItemLimit { out += "        … and \(items.count - Self.evidenceItemLimit) more (--json lists all)\n" }
                }
                if let fix = r.result.fix, r.result.status == .fail || r.result.status == .warn {
                    out += "        fix: \(fix)\n"
                }
            }
        }
        let c = CheckCounts(reports)
        out += "\n\(c.pass) passed, \(c.warn) warning\(own: c.warn == 1 ? "" : "s"), \(c.fail) failed, \(c.skip) skipped"
        if !verbose && reports.contains(where: { !$0.result.evidence.isEmpty }) { out += " (-v for evidence)" }
        out += "\n"
        return out
    }

    /// The report as the terminal gets it (see `text`).
    public func render(_ reports: [CheckReport]) -> String {
        text(reports).rendered(color: color) { redact($0) }
    }

    /// 0.042 ms, 3.1 ms, 1250 ms: enough digits to compare checks, no more.
    static func formatDuration(_ ms: Double) -> String {
        formatDecimal(ms, places: ms < 1 ? 3 : ms < 100 ? 1 : 0) + " ms"
    }

    public func renderCatalogue(_ checks: [any Check]) -> String {
        var out = ""
        // 22 fits every standard id; a longer one (snapshot.cuda-checkpoint) widens the column.
        let width = max(22, checks.map(\.id.count).max() ?? 0)
        for area in CheckArea.allCases {
            let inArea = checks.filter { $0.area == area }
            guard !inArea.isEmpty else { continue }
            out += "\(area.heading)\n"
            for c in inArea {
                let deps = c.dependsOn.isEmpty ? "" : "  (needs \(c.dependsOn.joined(separator: ", ")))"
                out += "  \(c.id.paddedRight(to: width)) \(c.title)\(deps)\n"
            }
        }
        return out
    }
}
