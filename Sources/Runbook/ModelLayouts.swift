import Foundation
import SystemProbes
import Basics

/// The Hugging Face hub cache layout: `models--ORG--NAME/refs/main` holds a commit hash,
/// `snapshots/<hash>/` holds the files (symlinks into `blobs/`). Only the one model's folder
/// is read: the cache is never walked.
public struct HFCacheModel: Sendable {
    public var hubDir: String
    public var repo: String

    public init(hubDir: String, repo: String) { self.hubDir = hubDir; self.repo = repo }

    public var modelDir: String { FileFacts.join(hubDir, "models--" + repo.replacingEvery("/", with: "--")) }
    public var refsMain: String { FileFacts.join(modelDir, "refs/main") }

    public enum Finding: Sendable, Equatable {
        case noModelFolder(String)
        case noRef(String)
        case noSnapshot(String)
        case missingFiles(snapshot: String, missing: [String])
        case complete(snapshot: String, files: Int, weightBytes: UInt64)
    }

    /// The snapshot folder `refs/main` points at, if any.
    public var snapshotDir: String? {
        guard let hash = (try? FileFacts.readText(refsMain))?.trimmingSpaces(newlines: true), !hash.isEmpty else { return nil }
        return FileFacts.join(modelDir, "snapshots", hash)
    }

    public func inspect() -> Finding { inspectWithDeclaredBytes().finding }

    /// The finding and the declared weight size (`metadata.total_size` from the safetensors
    /// index, else the single file's size), reading the index once.
    public func inspectWithDeclaredBytes() -> (finding: Finding, declaredBytes: UInt64?) {
        let index = snapshotDir.map { FileFacts.join($0, "model.safetensors.index.json") }
        let json = index.flatMap { try? FileFacts.readBytes($0) }.flatMap { try? JSONLite.parse($0) }
        var declared: UInt64?
        if let total = json?["metadata"]?["total_size"], let bytes = total.uint64 ?? total.double.flatMap({ $0 >= 0 && $0 < 1.8e19 ? UInt64($0) : nil }) {
            declared = bytes
        }
        else if let snap = snapshotDir {
            let single = FileFacts.facts(FileFacts.join(snap, "model.safetensors"))
            declared = single.exists ? single.size : nil
        }
        return (inspect(indexJSON: json), declared)
    }

    func inspect(indexJSON: JSONValue?) -> Finding {
        guard FileFacts.facts(modelDir).isDirectory else { return .noModelFolder(modelDir) }
        guard let snapshot = snapshotDir else { return .noRef(refsMain) }
        guard FileFacts.facts(snapshot).isDirectory else { return .noSnapshot(snapshot) }
        var required = ["config.json"]
        var weightFiles: [String] = []
        let indexPath = FileFacts.join(snapshot, "model.safetensors.index.json")
        if FileFacts.exists(indexPath) {
            if let map = indexJSON?["weight_map"]?.object, map.values.allSatisfy({ $0.string != nil }) {
                weightFiles = Array(Set(map.values.compactMap(\.string))).sorted()
            } else {
                return .missingFiles(snapshot: snapshot, missing: ["model.safetensors.index.json (unreadable JSON)"])
            }
        } else {
            weightFiles = ["model.safetensors"]
        }
        required += weightFiles
        // stat() follows the symlink: a dangling link into blobs/ counts as missing.
        let missing = required.filter { !FileFacts.facts(FileFacts.join(snapshot, $0)).exists }
        if !missing.isEmpty { return .missingFiles(snapshot: snapshot, missing: missing) }
        let bytes = weightFiles.reduce(UInt64(0)) { $0 + FileFacts.facts(FileFacts.join(snapshot, $1)).size }
        return .complete(snapshot: snapshot, files: required.count, weightBytes: bytes)
    }
}

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
