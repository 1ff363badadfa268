import DoctorCore
import SystemProbes
import Runbook
import Basics

/// An existing image was made on this kind of host: the same GPU model and count, driver and
/// vLLM version, and the same model. cuda-checkpoint restores GPU state only onto what it was
/// taken from; a mismatch is refused before a restore is tried, naming both sides.
public struct SnapshotImageMatchCheck: Check {
    public let id = "snapshot.image-match"
    public let title = "the image was made on this GPU, driver and vLLM"
    public let mayBlock = true
    public init() {}

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        let path = context.snapshotMetadataPath
        var evidence: Evidence = ["metadata": path]
        guard let loaded = context.snapshotMetadata else {
            return .skip("no image yet (no \(path)): nothing to match")
        }
        let image: SnapshotImageMetadata
        switch loaded {
        case .failure(let invalid):
            return .fail("\(invalid)", evidence: evidence, fix: "make the image again (its launcher writes \(SnapshotImageMetadata.fileName)), or remove \(context.snapshotFolder.path)")
        case .success(let m): image = m
        }
        evidence["image"] = "\(image.gpu) ×\(image.gpuCount), driver \(image.driver), vLLM \(image.vllm), \(image.model)"
        let facts: GPUDriverFacts
        switch context.snapshotDriver {
        case .noDriver(let why), .failed(let why):
            return .fail("cannot compare the image's GPU and driver with this host's: \(why)", evidence: evidence,
                         fix: "restore only where nvidia-smi works")
        case .ok(let f): facts = f
        }
        let gpuHere = facts.gpus.first?.name ?? "unknown (\(facts.source) names no GPU)"
        let vllm = context.vllmVersionHere
        evidence["here"] = "\(gpuHere) ×\(facts.gpus.count), driver \(facts.driverVersion), vLLM \(vllm.version ?? "unknown: \(vllm.why)"), \(context.modelName ?? "no MODEL_NAME")"
        var differences: [String] = []
        if image.gpu != gpuHere { differences.append("GPU \(image.gpu) (here \(gpuHere))") }
        if image.gpuCount != facts.gpus.count && !facts.gpus.isEmpty { differences.append("\(image.gpuCount) GPU(s) (here \(facts.gpus.count))") }
        if image.driver != facts.driverVersion { differences.append("driver \(image.driver) (here \(facts.driverVersion))") }
        if let v = vllm.version, v != image.vllm { differences.append("vLLM \(image.vllm) (here \(v))") }
        if let model = context.modelName, model != image.model { differences.append("model \(image.model) (here MODEL_NAME=\(model))") }
        let redo = "make the image again on this host (remove \(context.snapshotFolder.path) first), or restore it on a host like the one it was made on"
        if !differences.isEmpty {
            return .fail("the image was made with another \(differences.joined(separator: "; ")): restore refused", evidence: evidence, fix: redo)
        }
        if vllm.version == nil {
            return .warn("GPU and driver match; vLLM here is unknown (\(vllm.why)), the image's is \(image.vllm)", evidence: evidence,
                         fix: "set VLLM_PYTHON to the Python that runs vLLM")
        }
        return .pass("made on \(image.gpu) ×\(image.gpuCount), driver \(image.driver), vLLM \(image.vllm): as here", evidence: evidence)
    }
}
