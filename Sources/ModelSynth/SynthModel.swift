import Foundation
import SystemProbes
import Basics

/// Writes a random-weight model of a real shape in the HF cache layout, streaming the bytes
/// (never a whole shard in memory): config, bf16 safetensors shards ≤ the shard limit, the
/// index, a byte-level tokenizer, generation config. Optionally the ServerlessLLM store layout.
public struct SynthModel: Sendable {
    public var shape: ModelShape
    public var repo: String
    public var hubDir: String
    public var shardLimit: Int = 5_000_000_000
    public var seed: UInt64 = 0x5EED
    public init(shape: ModelShape, repo: String, hubDir: String) { self.shape = shape; self.repo = repo; self.hubDir = hubDir }

    public struct Written: Sendable {
        public var snapshot: String
        public var shards: [String]
        public var bytes: Int
        public var seconds: Double
        public var mbPerSecond: Double { seconds > 0 ? Double(bytes) / 1e6 / seconds : 0 }
    }

    /// A stable commit-like hash for the snapshot folder.
    public var revision: String {
        var h: UInt64 = 0xcbf29ce484222325
        for b in "\(repo)|\(shape.name)|\(seed)".utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        var out = ""
        var x = h
        for _ in 0..<5 { out += String(format: "%08x", UInt32(truncatingIfNeeded: x)); x = x &* 6364136223846793005 &+ 1442695040888963407 }
        return out
    }

    /// Tensors grouped into shards no bigger than `shardLimit` (a tensor larger than the limit gets its own).
    public func shardPlan() -> [[ModelShape.Tensor]] {
        var shards: [[ModelShape.Tensor]] = [[]]
        var size = 0
        for t in shape.tensors {
            if size + t.bytes > shardLimit && !shards[shards.count - 1].isEmpty { shards.append([]); size = 0 }
            shards[shards.count - 1].append(t)
            size += t.bytes
        }
        return shards
    }

    public func write(progress: (String) -> Void = { _ in }) throws -> Written {
        if let problem = outputProblem(storeFolder: nil) { throw problem }
        let snapshot = snapshotDir
        let fm = FileManager.default
        try fm.createDirectory(atPath: snapshot, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: FileFacts.join(modelDir, "refs"), withIntermediateDirectories: true)
        let tokenizer = ByteTokenizer()
        try writeJSON(shape.configJSON(tokenizer: tokenizer), to: FileFacts.join(snapshot, "config.json"))
        try writeJSON(tokenizer.tokenizerJSON(), to: FileFacts.join(snapshot, "tokenizer.json"))
        try writeJSON(tokenizer.tokenizerConfigJSON(), to: FileFacts.join(snapshot, "tokenizer_config.json"))
        try writeJSON(.object(["bos_token_id": JSONValue.number(tokenizer.bosID), "eos_token_id": JSONValue.number(tokenizer.eosID),
                               "do_sample": .bool(false), "transformers_version": .string("4.46.0")]),
                      to: FileFacts.join(snapshot, "generation_config.json"))
        let shards = shardPlan()
        var names: [String] = []
        var weightMap: [String: String] = [:]
        var rng = XorShift(seed: seed)
        let started = Date()
        var total = 0
        for (i, tensors) in shards.enumerated() {
            let name = shards.count == 1 ? "model.safetensors" : String(format: "model-%05d-of-%05d.safetensors", i + 1, shards.count)
            names.append(name)
            for t in tensors { weightMap[t.name] = name }
            total += try SafetensorsWriter.write(path: FileFacts.join(snapshot, name), tensors: tensors, rng: &rng)
            progress(String(format: "%@: %.2f GB written (%.0f MB/s)", name, Double(total) / 1e9, Double(total) / 1e6 / max(0.001, Date().timeIntervalSince(started))))
        }
        let seconds = Date().timeIntervalSince(started)
        if shards.count > 1 {
            try writeJSON(.object(["metadata": .object(["total_size": JSONValue.number(shape.totalBytes)]),
                                   "weight_map": .object(weightMap.mapValues { .string($0) })]),
                          to: FileFacts.join(snapshot, "model.safetensors.index.json"))
        }
        // refs/main last: a half-written model never looks complete.
        try OutputFile.write(FileFacts.join(modelDir, "refs/main"), text: revision)
        return Written(snapshot: snapshot, shards: names, bytes: total, seconds: seconds)
    }

    /// ServerlessLLM's layout from the same shape: `vllm/<repo>/config.json`, `rank_0/tensor_index.json`
    /// and `tensor.data_N` (≤ 10 GiB each), for rehearsing the store checks.
    public func writeStoreLayout(modelFolder: String) throws -> String {
        for path in storeFiles(modelFolder: modelFolder) { if let problem = Self.problemBeforeFolders(path) { throw problem } }
        let dir = FileFacts.join(modelFolder, "vllm", repo)
        let rank = FileFacts.join(dir, "rank_0")
        try FileManager.default.createDirectory(atPath: rank, withIntermediateDirectories: true)
        try writeJSON(shape.configJSON(tokenizer: ByteTokenizer()), to: FileFacts.join(dir, "config.json"))
        var index: [String: JSONValue] = [:]
        var rng = XorShift(seed: seed ^ 0xABCD)
        let limit = Self.storeFileLimit
        var file = 0, offset = 0
        var out = try BlockWriter(path: FileFacts.join(rank, "tensor.data_0"))
        for t in shape.tensors {
            if offset + t.bytes > limit && offset > 0 {
                try out.close(); file += 1; offset = 0
                out = try BlockWriter(path: FileFacts.join(rank, "tensor.data_\(file)"))
            }
            var strides: [Int] = []
            var acc = 1
            for d in t.shape.reversed() { strides.insert(acc, at: 0); acc *= d }
            func ints(_ xs: [Int]) -> JSONValue { .array(xs.map { JSONValue.number($0) }) }
            index[t.name] = .array([JSONValue.number(offset), JSONValue.number(t.bytes), ints(t.shape), ints(strides),
                                    .string("torch.bfloat16"), JSONValue.number(file)])
            try out.writeRandom(bytes: t.bytes, ones: t.isNorm, rng: &rng)
            offset += t.bytes
        }
        try out.close()
        try writeJSON(.object(index), to: FileFacts.join(rank, "tensor_index.json"))
        return dir
    }

    /// The one JSON writer's layout (two-space indent, sorted keys), as JSONSerialization's
    /// `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]` wrote these files before.
    func writeJSON(_ document: JSONValue, to path: String) throws {
        try OutputFile.write(path, Array(document.prettyText().utf8))
    }
}

/// xorshift64*: fast enough to fill buffers at disk speed; not for cryptography.
public struct XorShift: Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed == 0 ? 0x9E3779B97F4A7C15 : seed }
    @inline(__always) public mutating func next() -> UInt64 {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return state &* 2685821657736338717
    }
}

/// Appends to a file through a fixed 8 MiB buffer.
struct BlockWriter {
    let fd: Int32
    var buffer: [UInt8]
    var used = 0
    init(path: String) throws {
        do { fd = try OutputFile.openForWriting(path) } catch { throw SynthError("cannot create \(error)") }
        buffer = [UInt8](repeating: 0, count: 8 << 20)
    }
    mutating func write(_ bytes: [UInt8]) throws {
        for b in bytes { if used == buffer.count { try flush() }; buffer[used] = b; used += 1 }
    }
    /// bf16 values: small random numbers (|x| ≈ 0.008-0.03, never NaN/Inf), or exactly 1.0.
    mutating func writeRandom(bytes: Int, ones: Bool, rng: inout XorShift) throws {
        var left = bytes
        while left > 0 {
            if used == buffer.count { try flush() }
            let n = min(left, buffer.count - used) & ~7
            let count = n == 0 ? min(left, buffer.count - used) : n
            buffer.withUnsafeMutableBytes { raw in
                let base = raw.baseAddress!.advanced(by: used)
                if ones {
                    let p = base.assumingMemoryBound(to: UInt16.self)
                    for k in 0..<(count / 2) { p[k] = 0x3F80 }
                } else if count % 8 == 0 {
                    let p = base.assumingMemoryBound(to: UInt64.self)
                    for k in 0..<(count / 8) {
                        // Keep sign and mantissa bits, force the exponent to 120: |x| in [2^-7, 2^-6).
                        p[k] = (rng.next() & 0x807F_807F_807F_807F) | 0x3C00_3C00_3C00_3C00
                    }
                } else {
                    let p = base.assumingMemoryBound(to: UInt16.self)
                    for k in 0..<(count / 2) { p[k] = UInt16(truncatingIfNeeded: rng.next()) & 0x807F | 0x3C00 }
                }
            }
            used += count
            left -= count
        }
    }
    mutating func flush() throws {
        var off = 0
        while off < used {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!.advanced(by: off), used - off) }
            guard n > 0 else { throw SynthError("write failed: \(String(cString: strerror(errno)))") }
            off += n
        }
        used = 0
    }
    mutating func close() throws { try flush(); Glibc.close(fd) }
}

/// safetensors: 8-byte little-endian header length, JSON header (padded with spaces to 8
/// bytes), then the tensors' bytes in header order.
public enum SafetensorsWriter {
    public static func header(_ tensors: [ModelShape.Tensor]) -> Data {
        var offset = 0
        var entries: [String] = []
        for t in tensors {
            let shape = t.shape.map(String.init).joined(separator: ",")
            entries.append("\"\(t.name)\":{\"dtype\":\"BF16\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + t.bytes)]}")
            offset += t.bytes
        }
        var json = "{\"__metadata__\":{\"format\":\"pt\"}," + entries.joined(separator: ",") + "}"
        while (json.utf8.count + 8) % 8 != 0 { json += " " }
        var len = UInt64(json.utf8.count).littleEndian
        var data = Data(bytes: &len, count: 8)
        data.append(Data(json.utf8))
        return data
    }

    static func write(path: String, tensors: [ModelShape.Tensor], rng: inout XorShift) throws -> Int {
        var out = try BlockWriter(path: path)
        let head = header(tensors)
        try out.write([UInt8](head))
        var total = head.count
        for t in tensors {
            try out.writeRandom(bytes: t.bytes, ones: t.isNorm, rng: &rng)
            total += t.bytes
        }
        try out.close()
        return total
    }
}
