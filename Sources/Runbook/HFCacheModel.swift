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
