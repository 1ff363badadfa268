import Foundation
import Testing
import TestSupport
@testable import Bench
@testable import DoctorCore
@testable import SystemProbes
@testable import Basics

/// The results document reads every results file the repository holds (each version's) and
/// writes back the JSON the file holds, but for the normalisations ResultsDocument+JSON.swift lists.
struct ResultsDocumentTests {
    static let repoRoot = FileFacts.parent(of: FileFacts.parent(of: fixturesDir))
    static let resultsDir = repoRoot + "/benchmarks/results"

    static func committedFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: resultsDir)
            .filter { $0.hasPrefix("restart_") && $0.hasSuffix(".json") }.sorted().map { resultsDir + "/" + $0 }
    }

    /// What the writer makes of an earlier version's file: the null keys it always writes, the
    /// renamed sleep key.
    static func normalised(_ v: JSONValue, top: Bool = true) -> JSONValue {
        switch v {
        case .object(var o):
            if top {
                if o["compose"] == nil { o["compose"] = .null }
                if o["partial_reason"] == nil { o["partial_reason"] = .null }
            }
            if let old = o.removeValue(forKey: "sleep_freed_gib") { o["sleep_freed_gpu_gib"] = old }
            return .object(o.mapValues { normalised($0, top: false) })
        case .array(let a): return .array(a.map { normalised($0, top: false) })
        default: return v
        }
    }

    @Test func everyCommittedFileReadsAndWritesBackItsJSON() throws {
        let files = try Self.committedFiles()
        #expect(files.count >= 16)
        for file in files {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            let doc = try ResultsDocument.read(file: file)
            let written = doc.json().prettyText() + "\n"
            let expected = Self.normalised(try JSONLite.parse(Array(text.utf8))).prettyText() + "\n"
            #expect(written == expected, "\(file)")
            // Files of this version's layout come back byte for byte.
            if text.contains("\"compose\"") && !text.contains("sleep_freed_gib") { #expect(written == text, "\(file)") }
            // And reading what was written gives the same document.
            #expect(try ResultsDocument.parse(written, file: "again") == doc)
        }
    }

    @Test func theNormalisationsAreTheListedOnes() throws {
        let old = try String(contentsOfFile: Self.resultsDir + "/restart_20261123_084700.json", encoding: .utf8)
        #expect(!old.contains("\"compose\"") && old.contains("\"sleep_freed_gib\""))
        let written = try ResultsDocument.parse(old, file: "old").json().prettyText()
        #expect(written.contains("\"compose\" : null") && written.contains("\"partial_reason\" : null"))
        #expect(written.contains("\"sleep_freed_gpu_gib\" : 67.08") && !written.contains("\"sleep_freed_gib\""))
    }

    @Test func aMissingFieldIsNamedByFilePathAndWhatWasExpected() throws {
        let file = Self.resultsDir + "/restart_20261129_214348.json"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        guard case .object(var top) = try JSONLite.parse(Array(text.utf8)), case .array(var variants) = top["variants"],
              case .object(var second) = variants[1], case .array(var runs) = second["runs"], case .object(var run) = runs[0] else {
            Issue.record("unexpected shape"); return
        }
        run["outcome"] = nil
        runs[0] = .object(run); second["runs"] = .array(runs); variants[1] = .object(second); top["variants"] = .array(variants)
        #expect(throws: ResultsReadError(file: "x.json", path: "$.variants[1].runs[0].outcome", expected: "a value (the field is missing)")) {
            try ResultsDocument.parse(JSONValue.object(top).prettyText(), file: "x.json")
        }
        run["outcome"] = .string("fine")
        runs[0] = .object(run); second["runs"] = .array(runs); variants[1] = .object(second); top["variants"] = .array(variants)
        let bad = #expect(throws: ResultsReadError.self) { try ResultsDocument.parse(JSONValue.object(top).prettyText(), file: "x.json") }
        #expect(bad?.description == "x.json: $.variants[1].runs[0].outcome: expected one of ok, crash-loop, timeout, interrupted, failed, cut-off (found \"fine\")")
        #expect(throws: ResultsReadError(file: "y.json", path: "byte 1", expected: "a quoted key")) { try ResultsDocument.parse("{]", file: "y.json") }
        #expect(throws: ResultsReadError(file: "z.json", path: "$", expected: "an object")) { try ResultsDocument.parse("[]", file: "z.json") }
    }
}
