import Foundation
import Testing
import TestSupport
@testable import Bench
import DoctorCore
import SystemProbes
import Runbook
import Basics

/// check and bench print JSON through one writer (JSONValue.prettyText). Bench's results read
/// byte for byte as JSONSerialization wrote them before, so no reader of the files sees a change.
@Suite("one JSON writer")
struct OneJSONWriterTests {
    @Test func benchResultsAreWrittenAsBefore() throws {
        for names in [["baseline", "faststart"], ["baseline", "faststart", "fastsafetensors", "sleep-wake"]] {
            // The typed document's JSON, laid out as Foundation lays it out (the committed files
            // of every version read back to the same bytes: ResultsDocumentTests).
            let ours = BenchResultsTests().results(variants: names).document.json().prettyText() + "\n"
            let foundation = try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: Data(ours.utf8)),
                                                        options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            #expect(ours == String(decoding: foundation, as: UTF8.self) + "\n")
        }
    }

    @Test func nullsAndNumbersAreWrittenAsFoundationWritesThem() throws {
        let d: Double? = 2.5, none: Double? = nil
        let object: [String: JSONValue] = ["a": d.map { .number($0) } ?? .null, "b": none.map { .number($0) } ?? .null, "c": .null,
                                           "d": .number(3), "e": .number(1e-5), "f": .bool(true),
                                           "g": .array([.number(1), .number(2.0), .string("x")]),
                                           "gpu10": .number(1), "gpu2": .number(2), "h": .number(Double.nan)]
        let ours = JSONValue.object(object).prettyText()
        #expect(ours.contains("\"a\" : 2.5") && ours.contains("\"b\" : null") && ours.contains("\"c\" : null"))
        #expect(ours.contains("\"e\" : 1e-05") && ours.contains("\"f\" : true") && ours.contains("\"h\" : null"))
        #expect(ours.range(of: "gpu2")!.lowerBound < ours.range(of: "gpu10")!.lowerBound)
    }

    /// A whole bench run (anatomy phases, logs, host) written by our writer reads back and is
    /// written again by Foundation to the same bytes.
    @Test func aRealRunsFileIsFoundationsLayout() throws {
        let tmp = TempDir("json1")
        let root = benchRepo(tmp)
        let plan = fakePlan(tmp, port: freePort(), events: tmp.path + "/ev", extra: ["--tokens", "4"])
        let dir = tmp.mkdir("results")
        let r = doctor(["bench", "--root", root, "--plan", plan, "--runs", "1", "--ignore", "storage", "--results-dir", dir], timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        let file = try #require(everyFile(under: dir).first { $0.hasSuffix(".json") })
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let again = try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: Data(text.utf8)),
                                               options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        #expect(text == String(decoding: again, as: UTF8.self) + "\n")
    }
}
