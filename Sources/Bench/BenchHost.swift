import Foundation
import SystemProbes

/// Facts about where the benchmark ran, for the results and the table row.
public struct BenchHost: Sendable {
    public var timestamp: Date
    public var gitSHA: String
    public var host: String
    public var gpu: String

    public static func probe(root: String, commands: CommandRunning) -> BenchHost {
        // The benchmarked repository's HEAD (the folder holding .env and vllm_bridge/), not the tool's.
        var sha = "-"
        if FileFacts.gitWorkTree(containing: root) != nil,
           case .success(let o) = commands.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], timeout: 5), o.status == 0 {
            sha = o.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var gpu = "none"
        if case .ok(let inv) = GPUInventory.query(commands), !inv.gpus.isEmpty { gpu = inv.summary }
        return BenchHost(timestamp: Date(), gitSHA: sha, host: hostName(), gpu: gpu)
    }

    /// What `hostname` prints (gethostname): Foundation's hostName may resolve to an FQDN or an address.
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "-" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
