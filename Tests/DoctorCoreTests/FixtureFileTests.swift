import Foundation
import Testing
import TestSupport
@testable import DoctorCore
import SystemProbes
@testable import Runbook
import Basics

/// The runbook's files as fixtures: read as `check` reads them. `make fuzz` starts each parser
/// from these same files (scripts/fuzz.sh), so a fixture changed here changes the fuzz seeds too.
@Suite("fixture files")
struct FixtureFileTests {
    func text(_ name: String) throws -> String { try String(contentsOfFile: fixture(name), encoding: .utf8) }

    @Test func runbookEnvReadsAsTheRunbookWroteIt() throws {
        let env = EnvFile.parse(try text("runbook.env"), path: "runbook.env")
        #expect(env.errors.isEmpty)
        #expect(env["MODEL_FOLDER"] == "/nvme/sllm-models")
        #expect(env["MODEL_NAME"] == "meta-llama/Llama-3.1-8B-Instruct")
        #expect(env["VLLM_FASTSTART_PORT"] == "8082")
        #expect(env["SLLM_CHUNK_SIZE"] == "128MB")
    }

    @Test func quotedEnvKeepsQuotesAndComments() throws {
        let env = EnvFile.parse(try text("quotes.env"), path: "quotes.env")
        #expect(env.errors.isEmpty)
        #expect(env.entries.map(\.key) == ["A", "C", "D"])
        #expect(env["A"]?.hasPrefix("multi\nline ") == true)
        #expect(env["C"] == "lit")
        #expect(env["D"] == "x")
    }

    @Test func runbookComposeHasItsThreeServices() throws {
        let file = try ComposeFile.parse(try text("compose-runbook.yml"), path: "compose-runbook.yml")
        #expect(file.services.map(\.name) == ["sllm_store", "vllm_baseline", "vllm_faststart"])
        let baseline = try #require(file.services.first { $0.name == "vllm_baseline" })
        #expect(baseline.isVLLM)
        #expect(baseline.profiles == ["baseline"])
        #expect(baseline.environment["HF_HUB_OFFLINE"] == "${HF_HUB_OFFLINE:-0}")   // from the merge key
        #expect(file.services.first { $0.name == "vllm_faststart" }?.environmentStyle == .list)
    }

    @Test func safetensorsIndexAndJSONValuesParse() throws {
        let index = try JSONLite.parse(Array(try text("safetensors-index.json").utf8))
        #expect(index["metadata"]?["total_size"]?.uint64 == 16_060_522_496)
        #expect(index["weight_map"]?.object?.count == 2)
        guard case .array(let values) = try JSONLite.parse(Array(try text("json-values.json").utf8)) else {
            Issue.record("json-values.json: expected an array"); return
        }
        #expect(values.count == 7)
        #expect(values[5].string == "a\u{e9}\u{1F600}\n")
    }
}
