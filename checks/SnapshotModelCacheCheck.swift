import DoctorCore
import SystemProbes
import Runbook
import Basics

/// The model's cache is complete for a restore: config.json, the tokenizer's files and every
/// shard the safetensors index names. A restored server reads them again (the image keeps the
/// weights outside, or vLLM re-reads the config and tokenizer); vLLM's own snapshot acceptance
/// run first failed on three files missing from the cache.
public struct SnapshotModelCacheCheck: Check {
    public let id = "snapshot.model-cache"
    public let title = "model cache complete: config, tokenizer, every shard"
    public let dependsOn = ["env.values"]
    public init() {}

    /// One of these holds the vocabulary (fast tokenizer, SentencePiece, or BPE vocab).
    static let vocabularies = ["tokenizer.json", "tokenizer.model", "vocab.json"]

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        guard let name = context.modelName, let hf = context.hfModel else { return .skip("MODEL_NAME not set") }
        var evidence: Evidence = ["hub_dir": "\(hf.hub.path) (\(hf.hub.from))", "model": name]
        var missing: [String] = []
        var snapshot: String?
        switch hf.finding {
        case .complete(let snap, _, let bytes):
            snapshot = snap
            evidence["weights"] = formatBytes(bytes)
        case .missingFiles(let snap, let files):
            snapshot = snap
            missing += files
        case .noModelFolder(let dir): missing.append("the model's folder \(dir)")
        case .noRef(let ref): missing.append("\(ref) (which snapshot to read)")
        case .noSnapshot(let snap): missing.append("snapshot \(snap)")
        }
        if let snapshot {
            evidence["snapshot"] = snapshot
            let has = { (file: String) in FileFacts.exists(FileFacts.join(snapshot, file)) }
            if !has("tokenizer_config.json") { missing.append("tokenizer_config.json") }
            if !Self.vocabularies.contains(where: has) { missing.append(Self.vocabularies.joined(separator: " or ")) }
        }
        let download = "HF_HOME=\(FileFacts.parent(of: hf.hub.path)) huggingface-cli download \(name) (fetches only what is missing)"
        if !missing.isEmpty {
            evidence["missing"] = missing.joined(separator: ", ")
            let shown = missing.prefix(4).joined(separator: ", ") + (missing.count > 4 ? " (+\(missing.count - 4))" : "")
            return .fail("\(name) is incomplete in the cache: \(shown) missing; a restore would fail on it", evidence: evidence, fix: download)
        }
        return .pass("\(name): config.json, tokenizer and every shard in \(snapshot ?? hf.hub.path)", evidence: evidence)
    }
}
