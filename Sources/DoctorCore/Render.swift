import Foundation

public enum Tool {
    public static let name = "sllm-doctor"
    public static let version = "0.1.0"
}

/// Replaces secret values wherever they would be printed. Every renderer passes its final
/// text through one of these, so no code path can forget.
public struct Redactor: Sendable {
    public let secrets: [String]
    public init(secrets: [String]) {
        // Longest first, so a token that contains another is masked whole. Very short values
        // would mask ordinary words, and are not real tokens.
        self.secrets = Array(Set(secrets.filter { $0.count >= 4 })).sorted { $0.count > $1.count }
    }
    public func callAsFunction(_ text: String) -> String {
        var out = text
        for s in secrets where out.contains(s) { out = out.replacingOccurrences(of: s, with: "***redacted***") }
        // Hugging Face tokens have a recognisable form: mask any, even ones no file declared.
        return out.replacing(Self.hfToken, with: "***redacted***")
    }

    nonisolated(unsafe) static let hfToken = #/hf_[A-Za-z0-9]{16,}/#
}

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
                    for (k, v) in r.result.evidence.items {
                        out += "        \(k): \(v.replacingOccurrences(of: "\n", with: "\n          "))\n"
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

    public func renderCatalogue(_ checks: [any Check]) -> String {
        var out = ""
        for area in CheckArea.allCases {
            let inArea = checks.filter { $0.area == area }
            guard !inArea.isEmpty else { continue }
            out += "\(area.heading)\n"
            for c in inArea {
                let deps = c.dependsOn.isEmpty ? "" : "  (needs \(c.dependsOn.joined(separator: ", ")))"
                out += "  \(c.id.padding(toLength: 22, withPad: " ", startingAt: 0)) \(c.title)\(deps)\n"
            }
        }
        return out
    }
}

/// The `--json` document (schema in docs/json.md).
public struct JSONRenderer: Sendable {
    public var redact: Redactor
    public init(redact: Redactor) { self.redact = redact }

    public func object(_ reports: [CheckReport]) -> [String: Any] {
        let checks: [[String: Any]] = reports.map { r in
            var evidence: [String: Any] = [:]
            for (k, v) in r.result.evidence.items { evidence[k] = v }
            var o: [String: Any] = ["id": r.id, "title": r.title, "area": r.area.rawValue,
                                    "status": r.result.status.rawValue, "summary": r.result.summary,
                                    "evidence": evidence, "fix": r.result.fix ?? NSNull()]
            if r.ignored { o["ignored"] = true }
            return o
        }
        let c = CheckCounts(reports)
        return ["tool": Tool.name, "version": Tool.version, "checks": checks,
                "counts": ["pass": c.pass, "warn": c.warn, "fail": c.fail, "skip": c.skip]]
    }

    public func render(_ reports: [CheckReport]) -> String { encode(object(reports)) }

    public func encode(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return redact(String(decoding: data, as: UTF8.self)) + "\n"
    }
}
