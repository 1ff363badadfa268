import Foundation
import SystemProbes
import Runbook
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

    public func mark(_ s: CheckStatus) -> String {
        let (symbol, code): (String, String) = switch s {
        case .pass: ("✓", "32")
        case .warn: ("!", "33")
        case .fail: ("✗", "31")
        case .skip: ("–", "90")
        }
        return color ? "\u{1B}[\(code)m[\(symbol)]\u{1B}[0m" : "[\(symbol)]"
    }

    public func render(_ reports: [CheckReport]) -> String {
        var out = ""
        for area in CheckArea.allCases {
            let inArea = reports.filter { $0.area == area }
            guard !inArea.isEmpty else { continue }
            let worst = inArea.map(\.result.status).filter { $0 != .skip }.max() ?? .skip
            out += "\(mark(worst)) \(area.heading)\n"
            for r in inArea {
                out += "    \(mark(r.result.status)) \(r.id): \(r.result.summary)\n"
                if verbose {
                    out += "        duration: \(Self.formatDuration(r.durationMs))\n"
                    for (k, v) in r.result.evidence.items {
                        out += "        \(k): \(v.replacingEvery("\n", with: "\n          "))\n"
                    }
                }
                if let fix = r.result.fix, r.result.status == .fail || r.result.status == .warn {
                    out += "        fix: \(fix)\n"
                }
            }
        }
        let c = CheckCounts(reports)
        out += "\n\(c.pass) passed, \(c.warn) warning\(c.warn == 1 ? "" : "s"), \(c.fail) failed, \(c.skip) skipped"
        if !verbose && reports.contains(where: { !$0.result.evidence.isEmpty }) { out += " (-v for evidence)" }
        out += "\n"
        return redact(out)
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
