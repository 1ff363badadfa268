import Foundation
import SystemProbes
import Basics

/// ServerlessLLM Store's converted layout: `<storage>/vllm/<org>/<model>/` with config.json
/// and `rank_N/` folders each holding `tensor_index.json` and non-empty `tensor.data_*`.
public struct StoreModel: Sendable {
    public var dir: String
    public init(modelFolder: String, modelName: String) {
        dir = FileFacts.join(modelFolder, "vllm", modelName)
    }

    public enum Finding: Sendable, Equatable {
        case missing
        /// Something is there but not a usable conversion (the FileExistsError trap).
        case incomplete(problems: [String])
        case complete(ranks: Int, dataBytes: UInt64)
    }

    public func inspect() -> Finding {
        let facts = FileFacts.facts(dir)
        guard facts.exists else { return .missing }
        guard facts.isDirectory else { return .incomplete(problems: ["\(dir) is not a folder"]) }
        var problems: [String] = []
        if !FileFacts.isFile(FileFacts.join(dir, "config.json")) { problems.append("config.json missing") }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        let ranks = names.filter { $0.hasPrefix("rank_") && Int($0.dropFirst(5)) != nil }.sorted()
        if ranks.isEmpty { problems.append("no rank_N/ folder") }
        var bytes: UInt64 = 0
        // Ranks must be 0..N-1 without gaps (one per tensor-parallel worker).
        for (i, rank) in ranks.enumerated() where rank != "rank_\(i)" {
            problems.append("rank folders not contiguous: expected rank_\(i), found \(rank)")
            break
        }
        for rank in ranks {
            let rankDir = FileFacts.join(dir, rank)
            if !FileFacts.isFile(FileFacts.join(rankDir, "tensor_index.json")) {
                problems.append("\(rank)/tensor_index.json missing")
            }
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: rankDir)) ?? []).filter { $0.hasPrefix("tensor.data_") }.sorted()
            if files.isEmpty { problems.append("\(rank)/tensor.data_0 missing") }
            for f in files {
                let size = FileFacts.facts(FileFacts.join(rankDir, f)).size
                if size == 0 { problems.append("\(rank)/\(f) is empty") }
                bytes += size
            }
        }
        return problems.isEmpty ? .complete(ranks: ranks.count, dataBytes: bytes) : .incomplete(problems: problems)
    }
}
