import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// What faststart needs from ServerlessLLM Store at start-up, checked where it can fail
/// silently: its data must be readable with O_DIRECT (its own reads) in whole blocks, its
/// pinned pool (MEM_POOL_SIZE) must hold the model, and it must be answering on 8073.
public struct ModelStoreServerCheck: Check {
    public let id = "model.store-server"
    public let title = "ServerlessLLM Store can serve the converted model"
    public let mayBlock = true
    public let dependsOn = ["model.store"]
    public static let port = 8073
    public init() {}

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        guard let (store, finding) = context.storeModel else { return .skip("MODEL_FOLDER or MODEL_NAME not set") }
        guard case .complete(_, let bytes) = finding else { return .skip("no complete conversion at \(store.dir) (see model.store)") }
        var evidence: Evidence = ["store_dir": store.dir, "data": formatBytes(bytes)]
        let data = FileFacts.join(store.dir, "rank_0", "tensor.data_0")
        if let problem = FileFacts.directReadProblem(data) {
            evidence["o_direct"] = problem
            return .fail("\(data) cannot be read with O_DIRECT (\(problem)): sllm-store reads its data that way", evidence: evidence,
                         fix: "put MODEL_FOLDER on ext4 or xfs (\(RepairHint.mount())), then convert again")
        }
        evidence["o_direct"] = "supported"
        // Each data file is read in whole 4 KiB blocks: a ragged tail ends in EINVAL.
        let rankDirs = ((try? FileManager.default.contentsOfDirectory(atPath: store.dir)) ?? []).filter { $0.hasPrefix("rank_") }.sorted()
        for rank in rankDirs {
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: FileFacts.join(store.dir, rank))) ?? []).filter { $0.hasPrefix("tensor.data_") }.sorted()
            for f in files {
                let size = FileFacts.facts(FileFacts.join(store.dir, rank, f)).size
                if size % 4096 != 0 {
                    return .fail("\(rank)/\(f) is \(size) bytes, not a multiple of 4096: sllm-store's O_DIRECT read of its last block fails (EINVAL)",
                                 evidence: evidence, fix: "convert again with sllm-convert (integrations/vllm-serverless-llm), which pads each file")
                }
            }
        }
        if let poolText = context.variable("MEM_POOL_SIZE") {
            guard let pool = parseByteSize(poolText) else {
                return .fail("MEM_POOL_SIZE=\(poolText) is not a size", evidence: evidence, fix: "write it as 32GB")
            }
            evidence["mem_pool"] = formatBytes(pool)
            if pool < bytes {
                return .fail("MEM_POOL_SIZE \(formatBytes(pool)) is smaller than the model's \(formatBytes(bytes)): the store cannot hold it in its pinned pool",
                             evidence: evidence, fix: "raise MEM_POOL_SIZE in .env above \(formatBytes(bytes)) (and restart the store)")
            }
        }
        guard HTTPClient.isListening(host: "127.0.0.1", port: Self.port, timeout: 0.3) else {
            return .warn("nothing answers on 127.0.0.1:\(Self.port): faststart cannot load until the store runs", evidence: evidence,
                         fix: "start it: python -m vllm_serverless_llm.store_server --storage-path \(context.modelFolder ?? "MODEL_FOLDER") --mem-pool-size \(context.variable("MEM_POOL_SIZE") ?? "SIZE")")
        }
        evidence["port"] = "127.0.0.1:\(Self.port) answering"
        return .pass("O_DIRECT reads work, \(evidence["mem_pool"].map { "pool \($0) holds " } ?? "")\(formatBytes(bytes)), store answering on \(Self.port)", evidence: evidence)
    }
}
