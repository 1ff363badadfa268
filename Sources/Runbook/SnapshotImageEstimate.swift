import Foundation
import Basics

/// How large a snapshot image of one vLLM server will be, before it is made. cuda-checkpoint
/// copies the GPU memory the process holds into host memory, and CRIU writes that memory with
/// the rest of the process: the image is the weights, the KV cache as configured (vLLM reserves
/// all of it at start, used or not) and the server's own host memory.
public struct SnapshotImageEstimate: Sendable, Equatable {
    /// The server's host memory outside the GPU copy (Python, torch, tokenizer, CUDA's host
    /// state): an estimate; set SNAPSHOT_HOST_MEMORY to replace it.
    public static let defaultHostBytes: UInt64 = 4 << 30
    /// vLLM's own default for `--gpu-memory-utilization`.
    public static let defaultGPUMemoryUtilization = 0.9

    /// How the KV cache is sized, from the server's arguments.
    public enum KVCache: Sendable, Equatable {
        /// `--kv-cache-memory-bytes N`: that much, besides the weights.
        case bytes(UInt64)
        /// `--gpu-memory-utilization F` (or vLLM's default): that share of the GPU holds the
        /// weights and the KV cache together.
        case share(Double, given: Bool)
    }

    public struct ArgumentError: Error, Sendable, Equatable, CustomStringConvertible {
        public var flag: String
        public var expected: String
        public init(flag: String, expected: String) { self.flag = flag; self.expected = expected }
        public var description: String { "\(flag): expected \(expected)" }
    }

    /// The KV cache setting in a server's arguments (the last of each flag wins, as in vLLM's
    /// parser; `--flag value` and `--flag=value`). One pass over the words.
    public static func kvCache(fromArguments words: [String]) throws(ArgumentError) -> KVCache {
        var bytesText: String?, shareText: String?
        var i = 0
        while i < words.count {
            let word = words[i]
            for (flag, isBytes) in [("--kv-cache-memory-bytes", true), ("--gpu-memory-utilization", false)] {
                var value: String?
                if word == flag {
                    guard i + 1 < words.count else { throw ArgumentError(flag: flag, expected: "a value after it") }
                    value = words[i + 1]; i += 1
                } else if word.hasPrefix(flag + "=") {
                    value = String(word.dropFirst(flag.count + 1))
                }
                if let value { if isBytes { bytesText = value } else { shareText = value } }
            }
            i += 1
        }
        if let bytesText {
            guard let bytes = parseByteSize(bytesText), bytes > 0 else {
                throw ArgumentError(flag: "--kv-cache-memory-bytes \(bytesText)", expected: "a size in bytes above 0 (2147483648, 2GiB)")
            }
            return .bytes(bytes)
        }
        if let shareText {
            guard let share = Double(shareText), share > 0, share <= 1 else {
                throw ArgumentError(flag: "--gpu-memory-utilization \(shareText)", expected: "a number above 0 and at most 1")
            }
            return .share(share, given: true)
        }
        return .share(defaultGPUMemoryUtilization, given: false)
    }

    public var weightsBytes: UInt64
    /// The GPU memory the image holds (weights with the KV cache); nil when the share of an
    /// unknown GPU would be needed.
    public var gpuBytes: UInt64?
    public var hostBytes: UInt64
    public var kvCache: KVCache

    /// - Parameter gpuMemoryBytes: one GPU's memory (nvidia-smi), for a share.
    public init(weightsBytes: UInt64, kvCache: KVCache, gpuMemoryBytes: UInt64?, hostBytes: UInt64 = defaultHostBytes) {
        self.weightsBytes = weightsBytes; self.kvCache = kvCache; self.hostBytes = hostBytes
        switch kvCache {
        case .bytes(let kv): gpuBytes = Self.sum(weightsBytes, kv)
        case .share(let share, _):
            // Double(UInt64.max) rounds up to 2^64, which UInt64 cannot hold: stay below it.
            gpuBytes = gpuMemoryBytes.map { max(weightsBytes, UInt64(min(Double($0) * share, 1.8e19))) }
        }
    }

    /// Sizes from hostile input may add up past 64 bits: the sum stops at the largest.
    static func sum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (total, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : total
    }

    /// The whole image; without the GPU share, the weights stand in (a lower bound).
    public var totalBytes: UInt64 { Self.sum(gpuBytes ?? weightsBytes, hostBytes) }
    public var isLowerBound: Bool { gpuBytes == nil }

    /// The KV cache in words, for evidence.
    public var kvCacheText: String {
        switch kvCache {
        case .bytes(let b): "--kv-cache-memory-bytes \(b) (\(formatBytes(b)))"
        case .share(let s, let given): "--gpu-memory-utilization \(s)" + (given ? "" : " (vLLM's default)")
        }
    }
}
