#if canImport(Glibc)
import Glibc
#endif
import SystemProbes
import Basics
import Foundation

/// Every file one `synth-model` run writes, checked against `OutputFile`'s rule before the
/// first byte: a refusal met half-way would leave a model that looks written beside a message
/// that says nothing was.
extension SynthModel {
    public var modelDir: String { FileFacts.join(hubDir, "models--" + repo.replacingOccurrences(of: "/", with: "--")) }
    public var snapshotDir: String { FileFacts.join(modelDir, "snapshots", revision) }

    /// The HF cache files, in the order they are written (refs/main last).
    public var cacheFiles: [String] {
        let shards = shardPlan()
        var names = ["config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"]
        names += shards.count == 1 ? ["model.safetensors"] : (1...shards.count).map { String(format: "model-%05d-of-%05d.safetensors", $0, shards.count) }
        if shards.count > 1 { names.append("model.safetensors.index.json") }
        return names.map { FileFacts.join(snapshotDir, $0) } + [FileFacts.join(modelDir, "refs/main")]
    }

    /// Bytes per `tensor.data_N` file of the store layout.
    static let storeFileLimit = 10 * 1_073_741_824

    /// The store layout's files under MODEL_FOLDER: `vllm/<repo>/config.json`, its
    /// `rank_0/tensor.data_N` files and `rank_0/tensor_index.json`.
    public func storeFiles(modelFolder: String) -> [String] {
        let dir = FileFacts.join(modelFolder, "vllm", repo)
        var dataFiles = 1, offset = 0
        for t in shape.tensors {
            if offset + t.bytes > Self.storeFileLimit && offset > 0 { dataFiles += 1; offset = 0 }
            offset += t.bytes
        }
        return [FileFacts.join(dir, "config.json")] + (0..<dataFiles).map { FileFacts.join(dir, "rank_0", "tensor.data_\($0)") }
            + [FileFacts.join(dir, "rank_0", "tensor_index.json")]
    }

    /// The first output of the run that may not be written, or nil: each path must be a new
    /// name or a regular file we may replace, and each folder above it that exists a folder.
    public func outputProblem(storeFolder: String?) -> OutputFileError? {
        let paths = cacheFiles + (storeFolder.map { storeFiles(modelFolder: $0) } ?? [])
        for path in paths {
            if let problem = Self.problemBeforeFolders(path) { return problem }
        }
        return nil
    }

    /// `OutputFile.problem`, for a file whose folders may not exist yet: the nearest one that
    /// exists must be a folder we may write in, and nothing on the way may be anything else.
    static func problemBeforeFolders(_ path: String) -> OutputFileError? {
        var folder = FileFacts.parent(of: path)
        var st = stat()
        if stat(folder, &st) == 0 { return OutputFile.problem(path) }
        while true {
            if lstat(folder, &st) == 0 {
                var target = stat()
                guard stat(folder, &target) == 0, target.st_mode & S_IFMT == S_IFDIR else {
                    return OutputFileError(path: path, reason: "cannot write: \(folder) is not a folder, nothing was written")
                }
                guard access(folder, W_OK) == 0 else {
                    return OutputFileError(path: path, reason: "cannot write in \(folder): \(String(cString: strerror(errno))), nothing was written")
                }
                return nil
            }
            let up = FileFacts.parent(of: folder)
            if up == folder || up.isEmpty { return nil }
            folder = up
        }
    }
}
