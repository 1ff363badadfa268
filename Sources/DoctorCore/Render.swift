import Foundation
import SystemProbes

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
        for s in secrets where out.containsText(s) { out = out.replacingEvery(s, with: "***redacted***") }
        // Hugging Face tokens have a recognisable form: mask any, even ones no file declared.
        return Self.maskHFTokens(out)
    }

    /// Every `hf_` followed by 16 or more ASCII letters or digits (the form of Hugging Face
    /// tokens) replaced by the mask; the same as `#/hf_[A-Za-z0-9]{16,}/#` (the tests compare
    /// them), by a byte scan: building that Regex costs more than a whole `check`.
    static func maskHFTokens(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19 else { return text }
        func isAlnum(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
        var out: [UInt8] = []
        var changed = false
        var i = 0
        while i < bytes.count {
            if bytes[i] == 104, i + 2 < bytes.count, bytes[i + 1] == 102, bytes[i + 2] == 95 {   // "hf_"
                var j = i + 3
                while j < bytes.count && isAlnum(bytes[j]) { j += 1 }
                if j - (i + 3) >= 16 {
                    out.append(contentsOf: Array("***redacted***".utf8))
                    changed = true
                    i = j
                    continue
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }
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
        for area in CheckArea.allCases {
            let inArea = checks.filter { $0.area == area }
            guard !inArea.isEmpty else { continue }
            out += "\(area.heading)\n"
            for c in inArea {
                let deps = c.dependsOn.isEmpty ? "" : "  (needs \(c.dependsOn.joined(separator: ", ")))"
                out += "  \(c.id.paddedRight(to: 22)) \(c.title)\(deps)\n"
            }
        }
        return out
    }
}

/// The `--json` document (schema in docs/json.md).
public struct JSONRenderer: Sendable {
    public var redact: Redactor
    /// The node the report is about (`NodeName`): `fleet report` keys its matrix by it.
    public var host: String?
    public var profile: CheckProfile
    public init(redact: Redactor, host: String? = nil, profile: CheckProfile = .standard) {
        self.redact = redact; self.host = host; self.profile = profile
    }

    /// The document, built and written without Foundation (see JSONValue.prettyText).
    public func document(_ reports: [CheckReport]) -> JSONValue {
        let checks: [JSONValue] = reports.map { r in
            var evidence: [String: JSONValue] = [:]
            for (k, v) in r.result.evidence.items { evidence[k] = .string(v) }
            var o: [String: JSONValue] = ["id": .string(r.id), "title": .string(r.title), "area": .string(r.area.rawValue),
                                          "status": .string(r.result.status.rawValue), "summary": .string(r.result.summary),
                                          "evidence": .object(evidence), "fix": r.result.fix.map { .string($0) } ?? .null,
                                          "duration_ms": .number((r.durationMs * 1000).rounded() / 1000)]
            if r.ignored { o["ignored"] = .bool(true) }
            return .object(o)
        }
        let c = CheckCounts(reports)
        var document: [String: JSONValue] = [
            "tool": .string(Tool.name), "version": .string(Tool.version), "profile": .string(profile.rawValue),
            "checks": .array(checks),
            "counts": .object(["pass": .number(c.pass), "warn": .number(c.warn), "fail": .number(c.fail), "skip": .number(c.skip)])]
        if let host { document["host"] = .string(host) }
        return .object(document)
    }

    public func render(_ reports: [CheckReport]) -> String { redact(document(reports).prettyText()) + "\n" }

    /// Any other document (bench's results, anatomy, startup) through the same writer as check's.
    public func encode(_ object: Any) -> String {
        redact(JSONValue(any: object).prettyText()) + "\n"
    }
}
