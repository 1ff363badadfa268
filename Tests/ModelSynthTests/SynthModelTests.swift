import Foundation
import Testing
@testable import ModelSynth
@testable import DoctorCore
@testable import SystemProbes
import TestSupport
@testable import Runbook
@testable import Basics

let verifier = FileFacts.parent(of: fixturesDir) + "/Standins/verify_synth.py"

@Suite("synth-model")
struct SynthModelTests {
    @Test func tinyShapeReadsBackWithSafetensorsAndTokenizers() throws {
        let tmp = TempDir()
        var model = SynthModel(shape: ModelShape.all["tiny"]!, repo: "test/tiny", hubDir: tmp.path + "/hub")
        model.shardLimit = 100_000   // force several shards and an index
        let w = try model.write()
        #expect(w.shards.count > 1)
        #expect(w.shards.first == "model-00001-of-\(String(format: "%05d", w.shards.count)).safetensors")
        let (rc, out) = sh("python3 \(verifier) \(w.snapshot)")
        #expect(rc == 0, "\(out)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(obj["tensors"] as? Int == ModelShape.all["tiny"]!.tensors.count)
        // And the doctor's own HF cache check accepts it.
        tmp.write(".env", "MODEL_FOLDER=\(tmp.path)/models\nHF_CACHE_FOLDER=\(tmp.path)\nHF_HUB_CACHE=\(tmp.path)/hub\nMODEL_NAME=test/tiny\n")
        let ctx = RunbookFacts(options: .init(root: tmp.path))
        let r = try #require(try runChecks(ctx, only: ["model.hf-cache"])["model.hf-cache"])
        #expect(r.result.status == .pass, "\(r.result.summary)")
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: w.snapshot + "/model.safetensors.index.json"))) as? [String: Any]
        #expect((index?["metadata"] as? [String: Any])?["total_size"] as? Int == ModelShape.all["tiny"]!.totalBytes)
    }

    @Test func realShapesHaveTheRealTensorCountsAndSizes() {
        let llama = ModelShape.all["llama-3.1-8b"]!
        #expect(llama.tensors.count == 291)                 // 32 layers × 9 + embed + norm + lm_head
        #expect(llama.totalBytes == 16_060_522_496)         // 8.03 B parameters in bf16
        let qwen = ModelShape.all["qwen3-0.6b"]!
        #expect(qwen.tensors.count == 310)                  // 28 × 11 + embed + norm (tied head)
        #expect(qwen.totalBytes / 2 == 596_049_920)         // 0.6 B parameters
        var m = SynthModel(shape: llama, repo: "a/b", hubDir: "/x")
        m.shardLimit = 5_000_000_000
        let plan = m.shardPlan()
        #expect(plan.count == 4)
        #expect(plan.allSatisfy { $0.reduce(0) { $0 + $1.bytes } <= 5_000_000_000 })
    }

    @Test func storeLayoutPassesTheStoreCheck() throws {
        let tmp = TempDir()
        let model = SynthModel(shape: ModelShape.all["tiny"]!, repo: "test/tiny", hubDir: tmp.path + "/hub")
        let dir = try model.writeStoreLayout(modelFolder: tmp.path + "/models")
        #expect(dir == tmp.path + "/models/vllm/test/tiny")
        tmp.write(".env", "MODEL_FOLDER=\(tmp.path)/models\nHF_CACHE_FOLDER=\(tmp.path)/hf\nMODEL_NAME=test/tiny\n")
        let ctx = RunbookFacts(options: .init(root: tmp.path))
        #expect(try runChecks(ctx, only: ["model.store"])["model.store"]?.result.status == .pass)
        let idx = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/rank_0/tensor_index.json"))) as? [String: [Any]]
        let embed = try #require(idx?["model.embed_tokens.weight"])
        #expect(embed[0] as? Int == 0)
        #expect(embed[1] as? Int == 512 * 64 * 2)
        #expect(FileFacts.facts(dir + "/rank_0/tensor.data_0").size == UInt64(ModelShape.all["tiny"]!.totalBytes))
    }

    /// The files are written by our JSON writer now (no JSONSerialization in the product):
    /// byte for byte what JSONSerialization's `[.prettyPrinted, .sortedKeys,
    /// .withoutEscapingSlashes]` writes for the same document, for every real shape. The one
    /// exception is tokenizer.json's vocab, whose keys (punctuation, Latin-1 letters) Foundation
    /// sorted case- and accent-blind and ours sorts by code point: the same object.
    @Test(arguments: ["tiny", "qwen3-0.6b", "llama-3.1-8b"])
    func jsonFilesAreWhatJSONSerializationWrote(_ shapeName: String) throws {
        let shape = try #require(ModelShape.all[shapeName])
        let tokenizer = ByteTokenizer()
        var documents: [(String, JSONValue)] = [("config.json", shape.configJSON(tokenizer: tokenizer)),
                                                ("tokenizer_config.json", tokenizer.tokenizerConfigJSON())]
        if shapeName == "tiny" {
            // The index and the store's tensor index, as the writers lay them out.
            let tmp = TempDir()
            var model = SynthModel(shape: shape, repo: "t/t", hubDir: tmp.path + "/hub")
            model.shardLimit = 100_000
            let w = try model.write()
            let store = try model.writeStoreLayout(modelFolder: tmp.path + "/models")
            for path in [w.snapshot + "/model.safetensors.index.json", store + "/rank_0/tensor_index.json", w.snapshot + "/generation_config.json"] {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                let foundation = try JSONSerialization.jsonObject(with: Data(text.utf8))
                let rewritten = try JSONSerialization.data(withJSONObject: foundation, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                #expect(text == String(decoding: rewritten, as: UTF8.self), "\(path)")
            }
        }
        for (name, document) in documents {
            let foundation = try JSONSerialization.jsonObject(with: Data(document.prettyText().utf8))
            let expected = try JSONSerialization.data(withJSONObject: foundation, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            #expect(document.prettyText() == String(decoding: expected, as: UTF8.self), "\(shapeName) \(name)")
        }
        let written = tokenizer.tokenizerJSON()
        let reread = try JSONSerialization.jsonObject(with: Data(written.prettyText().utf8)) as? [String: Any]
        let vocab = (reread?["model"] as? [String: Any])?["vocab"] as? [String: Int]
        #expect(vocab == Dictionary(uniqueKeysWithValues: (written["model"]?["vocab"]?.object ?? [:]).map { ($0.key, $0.value.int ?? -1) }))
        #expect(vocab?.count == 258)
    }
}
