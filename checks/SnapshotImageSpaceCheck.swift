import DoctorCore
import SystemProbes
import Runbook
import Basics

/// The image folder has room for the image before one is written: the weights, the KV cache as
/// the server's arguments size it, and the server's host memory.
public struct SnapshotImageSpaceCheck: Check {
    public let id = "snapshot.image-space"
    public let title = "room in SNAPSHOT_FOLDER for the image"
    public let mayBlock = true
    public init() {}

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        let folder = context.snapshotFolder
        var evidence: Evidence = ["SNAPSHOT_FOLDER": "\(folder.path) (\(folder.from))"]
        // The server's arguments, as the launcher will pass them: the KV cache's size.
        let words = (context.variable("SNAPSHOT_VLLM_ARGS") ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let kvCache: SnapshotImageEstimate.KVCache
        do { kvCache = try SnapshotImageEstimate.kvCache(fromArguments: words) }
        catch {
            return .fail("SNAPSHOT_VLLM_ARGS (\(context.place(of: "SNAPSHOT_VLLM_ARGS"))): \(error)", evidence: evidence,
                         fix: "correct SNAPSHOT_VLLM_ARGS, e.g. SNAPSHOT_VLLM_ARGS=\"--kv-cache-memory-bytes 4GiB\"")
        }
        var hostBytes = SnapshotImageEstimate.defaultHostBytes
        if let text = context.variable("SNAPSHOT_HOST_MEMORY") {
            guard let bytes = parseByteSize(text) else {
                return .fail("SNAPSHOT_HOST_MEMORY (\(context.place(of: "SNAPSHOT_HOST_MEMORY"))): '\(text.prefix(40))', expected a size such as 4GiB",
                             evidence: evidence, fix: "correct SNAPSHOT_HOST_MEMORY, e.g. SNAPSHOT_HOST_MEMORY=4GiB")
            }
            hostBytes = bytes
        }
        guard let name = context.modelName else { return .skip("MODEL_NAME not set: the image's size is unknown") }
        guard let weights = context.hfModel?.declaredBytes else {
            return .warn("cannot size the image: no weights of \(name) in the HF cache (snapshot.model-cache)", evidence: evidence,
                         fix: "download the model first; then check again")
        }
        var gpuMemory: UInt64?
        if case .ok(let facts) = context.snapshotDriver, let gpu = facts.gpus.first, gpu.memoryTotalMiB > 0 {
            gpuMemory = UInt64(gpu.memoryTotalMiB) << 20
            evidence["gpu memory"] = "\(gpu.name), \(formatBytes(gpuMemory!))"
        }
        let estimate = SnapshotImageEstimate(weightsBytes: weights, kvCache: kvCache, gpuMemoryBytes: gpuMemory, hostBytes: hostBytes)
        evidence["weights"] = formatBytes(weights)
        evidence["kv cache"] = estimate.kvCacheText
        evidence["gpu part"] = estimate.gpuBytes.map(formatBytes) ?? "unknown (no GPU memory from nvidia-smi): the weights stand in"
        evidence["host memory"] = formatBytes(hostBytes) + (context.variable("SNAPSHOT_HOST_MEMORY") == nil ? " (estimate; SNAPSHOT_HOST_MEMORY sets it)" : "")
        evidence["image"] = (estimate.isLowerBound ? "at least " : "about ") + formatBytes(estimate.totalBytes)

        // The folder may not exist yet: its nearest existing parent says where it would be.
        var probe = folder.path
        while !FileFacts.exists(probe) && probe != "/" { probe = FileFacts.parent(of: probe) }
        guard let space = FileFacts.space(probe) else {
            return .fail("cannot read the free space of \(probe)", evidence: evidence, fix: "check that \(probe) is mounted and readable")
        }
        if probe != folder.path { evidence["not created yet"] = "free space of \(probe)" }
        evidence["free"] = formatBytes(space.freeBytes)
        let need = "\(estimate.isLowerBound ? "at least" : "about") \(formatBytes(estimate.totalBytes)) (weights \(formatBytes(weights)) + GPU share \(estimate.gpuBytes.map(formatBytes) ?? "unknown") + host \(formatBytes(hostBytes)))"
        if space.freeBytes < estimate.totalBytes {
            return .fail("\(folder.path) has \(formatBytes(space.freeBytes)) free; the image needs \(need)", evidence: evidence,
                         fix: "free space there, point SNAPSHOT_FOLDER at a larger disk, or shrink the KV cache kept in the image (--kv-cache-memory-bytes in SNAPSHOT_VLLM_ARGS)")
        }
        if estimate.isLowerBound {
            return .warn("\(folder.path) has \(formatBytes(space.freeBytes)) free for an image of \(need): the KV cache's share is unknown without nvidia-smi",
                         evidence: evidence, fix: "run where nvidia-smi works, or size the KV cache: --kv-cache-memory-bytes in SNAPSHOT_VLLM_ARGS")
        }
        return .pass("\(formatBytes(space.freeBytes)) free in \(folder.path) for an image of \(need)", evidence: evidence)
    }
}
