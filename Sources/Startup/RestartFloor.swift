import Foundation
import SystemProbes
import Basics

/// The weight-load floor of this disk for one model: its shards read straight from the disk
/// (O_DIRECT, what a restart after a page-cache drop pays at best) and from the page cache (a
/// warm restart's best). A loader far above the floor is the loader's cost, not the disk's.
public struct RestartFloor: Sendable {
    public var files: [String]
    public var bytes: UInt64
    public var cold: FileReads.Timing?
    public var warm: FileReads.Timing?
    public var coldError: String?

    /// Weight files of a model folder (an HF snapshot, or any folder of shards).
    public static func weightFiles(in dir: String) -> [String] {
        let names = (FileFacts.names(in: dir) ?? []).sorted()
        let shards = names.filter { $0.hasSuffix(".safetensors") }
        let chosen = shards.isEmpty ? names.filter { $0.hasSuffix(".bin") || $0.hasSuffix(".pt") } : shards
        return chosen.map { FileFacts.join(dir, $0) }
    }

    public static func measure(modelDir: String) throws -> RestartFloor {
        let files = weightFiles(in: modelDir)
        guard !files.isEmpty else { throw StartupInputError("\(modelDir): no *.safetensors (or *.bin) weight files") }
        var floor = RestartFloor(files: files, bytes: files.reduce(0) { $0 + FileFacts.facts($1).size })
        do { floor.cold = try FileReads.read(files, direct: true) } catch { floor.coldError = "\(error)" }
        _ = try FileReads.read(files, direct: false)          // brings them into the page cache
        floor.warm = try FileReads.read(files, direct: false)
        return floor
    }

    init(files: [String], bytes: UInt64) { self.files = files; self.bytes = bytes }

    static func rate(_ t: FileReads.Timing) -> String { String(format: "%.2f s at %.2f GB/s", t.seconds, t.bytesPerSecond / 1e9) }

    public var summary: String {
        var parts = ["\(files.count) weight file(s), \(formatBytes(bytes))"]
        if let c = cold { parts.append("from disk (O_DIRECT) " + Self.rate(c)) } else if let e = coldError { parts.append("O_DIRECT read failed: \(e)") }
        if let w = warm { parts.append("from the page cache " + Self.rate(w)) }
        return parts.joined(separator: "; ")
    }

    /// A variant's weights phase against the floor: how much of it the disk explains.
    public func judge(variant: String, weightsS: Double, cachesDropped: Bool) -> String {
        guard let floorT = (cachesDropped ? cold : warm) ?? warm else { return "\(variant): no floor measured" }
        let ratio = floorT.seconds > 0 ? weightsS / floorT.seconds : 0
        let which = cachesDropped || warm == nil ? "disk" : "page-cache"
        var s = String(format: "%@: weights %.2f s against a %@ floor of %.2f s (%.1fx)", variant, weightsS, which, floorT.seconds, ratio)
        if ratio > 3 { s += ": the loader, not the disk, is the cost (bench --explore tries the other loaders)" }
        else if ratio < 1.5 { s += ": at the disk's speed; only less data (or no restart) goes faster" }
        return s
    }
}

/// torch.compile's cache (VLLM_CACHE_ROOT): where it lives, whether it survives a restart of
/// the container or host, and the cache keys it holds.
public struct CompileCacheDoctor: Sendable {
    public var root: String
    public var from: String
    public var exists: Bool
    public var mount: MountEntry?
    public var keys: [String]

    public static func resolve(environment: [String: String]) -> (path: String, from: String) {
        if let v = environment["VLLM_CACHE_ROOT"], !v.isEmpty { return (v, "VLLM_CACHE_ROOT") }
        if let x = environment["XDG_CACHE_HOME"], !x.isEmpty { return (FileFacts.join(x, "vllm"), "XDG_CACHE_HOME/vllm") }
        return (FileFacts.join(environment["HOME"] ?? "/root", ".cache/vllm"), "default ~/.cache/vllm")
    }

    /// Cache-key folders: `torch_compile_cache/<hash>` (one per model/flags/version combination).
    public static func keys(root: String) -> [String] {
        (FileFacts.names(in: FileFacts.join(root, "torch_compile_cache")) ?? []).sorted()
    }

    public static func inspect(environment: [String: String], mounts: MountTable?) -> CompileCacheDoctor {
        let (root, from) = resolve(environment: environment)
        return CompileCacheDoctor(root: root, from: from, exists: FileFacts.facts(root).isDirectory,
                                  mount: mounts?.mount(containing: root), keys: keys(root: root))
    }

    public var findings: [String] {
        var out: [String] = []
        let place = mount.map { "\($0.source) on \($0.target) (\($0.fstype))" } ?? "an unknown mount"
        out.append("torch.compile cache: \(root) (\(from)) on \(place); \(exists ? "\(keys.count) cache key(s)" : "not created yet")")
        if let m = mount {
            if ["tmpfs", "ramfs"].contains(m.fstype) {
                out.append("the cache is on \(m.fstype): a reboot empties it and the next start compiles again (30 s on an 8B model): set VLLM_CACHE_ROOT to a folder on the NVMe, e.g. /nvme/vllm-cache")
            } else if m.fstype == "overlay" {
                out.append("the cache is inside a container's writable layer: a recreated container compiles again; mount a volume from the NVMe there (e.g. -v /nvme/vllm-cache:/root/.cache/vllm)")
            } else if !m.source.hasPrefix("/dev/nvme") {
                out.append("the cache is not on an NVMe device (\(m.source)): fine once warm, but a cold read of it is slower")
            }
        }
        if keys.count > 1 {
            out.append("\(keys.count) cache keys: each change of model, flags, vLLM or torch version adds one and compiles from scratch once")
        }
        return out
    }
}
