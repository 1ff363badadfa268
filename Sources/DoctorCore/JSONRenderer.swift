import Foundation
import Basics

/// The `--json` document (schema in docs/json.md).
public struct JSONRenderer: Sendable {
    public var redact: Redactor
    /// The node the report is about (`NodeName`): `fleet report` keys its matrix by it.
    public var host: String?
    /// The profile the checks were built for (`check --profile`), as the document names it.
    public var profile: String
    public init(redact: Redactor, host: String? = nil, profile: String = "standard") {
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
            "tool": .string(Tool.name), "version": .string(Tool.version), "profile": .string(profile),
            "checks": .array(checks),
            "counts": .object(["pass": .number(c.pass), "warn": .number(c.warn), "fail": .number(c.fail), "skip": .number(c.skip)])]
        if let host { document["host"] = .string(host) }
        return .object(document)
    }

    /// Secrets are masked in the document's strings before it is encoded (`Redactor.json`).
    public func render(_ reports: [CheckReport]) -> String { redact.json(document(reports)).prettyText() + "\n" }

    /// Any other document (anatomy, startup, bench's results) through the same writer as check's.
    public func encode(_ document: JSONValue) -> String { redact.json(document).prettyText() + "\n" }
}
