import Foundation
import SystemProbes
import Basics

/// What a snapshot image was made on, written beside the image by whoever makes it
/// (`snapshot-image.json` in SNAPSHOT_FOLDER): a restore on another GPU model, driver or vLLM
/// version is refused before it starts, naming both.
///
/// ```json
/// {"format": 1, "gpu": "NVIDIA H200", "gpu_count": 1, "driver": "570.124.06",
///  "vllm": "0.11.0", "model": "Qwen/Qwen3-8B", "image_bytes": 6442450944,
///  "created": "2026-11-30T10:00:00Z"}
/// ```
public struct SnapshotImageMetadata: Sendable, Equatable {
    public static let fileName = "snapshot-image.json"
    public static let format = 1
    /// A metadata file is a few hundred bytes; more is not one.
    public static let sizeLimit = 64 << 10

    public var gpu: String
    public var gpuCount: Int
    public var driver: String
    public var vllm: String
    public var model: String
    public var imageBytes: UInt64?
    public var created: String?

    public init(gpu: String, gpuCount: Int, driver: String, vllm: String, model: String, imageBytes: UInt64? = nil, created: String? = nil) {
        self.gpu = gpu; self.gpuCount = gpuCount; self.driver = driver; self.vllm = vllm; self.model = model
        self.imageBytes = imageBytes; self.created = created
    }

    public struct Invalid: Error, Sendable, CustomStringConvertible, Equatable {
        public var path: String
        public var problem: String
        public var description: String { "\(path): \(problem)" }
    }

    /// Reads the file with a bound; every fault names the file and the key.
    public static func load(_ path: String) throws(Invalid) -> SnapshotImageMetadata {
        let bytes: [UInt8]
        do { bytes = try BoundedRead.bytes(path, limit: sizeLimit) }
        catch { throw Invalid(path: path, problem: error.reason) }
        return try parse(bytes, path: path)
    }

    public static func parse(_ bytes: [UInt8], path: String) throws(Invalid) -> SnapshotImageMetadata {
        let json: JSONValue
        do { json = try JSONLite.parse(bytes) } catch { throw Invalid(path: path, problem: "\(error)") }
        guard json.object != nil else { throw Invalid(path: path, problem: "expected a JSON object") }
        func text(_ key: String) throws(Invalid) -> String {
            guard let v = json[key]?.string, !v.isEmpty else {
                throw Invalid(path: path, problem: "key '\(key)': expected a non-empty string")
            }
            return v
        }
        guard let format = json["format"]?.uint64 else { throw Invalid(path: path, problem: "key 'format': expected \(Self.format)") }
        guard format == UInt64(Self.format) else {
            throw Invalid(path: path, problem: "key 'format': \(format), expected \(Self.format) (made by a newer sllm-doctor?)")
        }
        guard let count = json["gpu_count"]?.uint64, count >= 1, count <= 64 else {
            throw Invalid(path: path, problem: "key 'gpu_count': expected a whole number from 1 to 64")
        }
        var meta = SnapshotImageMetadata(gpu: try text("gpu"), gpuCount: Int(count), driver: try text("driver"),
                                         vllm: try text("vllm"), model: try text("model"))
        if let size = json["image_bytes"], size != .null {
            guard let bytes = size.uint64 else { throw Invalid(path: path, problem: "key 'image_bytes': expected a whole number of bytes") }
            meta.imageBytes = bytes
        }
        meta.created = json["created"]?.string
        return meta
    }

    /// The document as the launcher writes it.
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "format": .number(Self.format), "gpu": .string(gpu), "gpu_count": .number(gpuCount),
            "driver": .string(driver), "vllm": .string(vllm), "model": .string(model),
        ]
        if let imageBytes { o["image_bytes"] = .number(text: String(imageBytes), value: Double(imageBytes)) }
        if let created { o["created"] = .string(created) }
        return .object(o)
    }
}
