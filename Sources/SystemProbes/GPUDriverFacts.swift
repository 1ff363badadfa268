import Foundation
import Basics

/// The NVIDIA driver and the GPUs it drives, as a snapshot image must match them: each GPU's
/// model and memory, and the driver's version. From nvidia-smi; without it, the driver's
/// version from `/proc/driver/nvidia/version` (the kernel module's own line).
public struct GPUDriverFacts: Sendable, Equatable {
    public struct GPU: Sendable, Equatable {
        public var name: String
        public var memoryTotalMiB: Int
        public init(name: String, memoryTotalMiB: Int) { self.name = name; self.memoryTotalMiB = memoryTotalMiB }
    }
    public var driverVersion: String
    /// Where the version was read: "nvidia-smi" or the proc file's path.
    public var source: String
    public var gpus: [GPU]

    /// The driver branch: the version's first number (550 in 550.54.15).
    public var branch: Int? { Int(driverVersion.prefix { $0.isNumber }) }

    public enum Outcome: Sendable {
        /// No driver seen: no nvidia-smi and no proc file.
        case noDriver(String)
        case failed(String)
        case ok(GPUDriverFacts)
    }

    public static let procVersionPath = "/proc/driver/nvidia/version"

    /// - Parameter procVersion: where the driver's proc file is read (a captured tree's copy).
    public static func query(_ commands: CommandRunning, procVersion: String = procVersionPath, timeout: TimeInterval = 5) -> Outcome {
        let argv = ["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader,nounits"]
        switch commands.run(argv, timeout: timeout) {
        case .failure(.notFound):
            if let text = FileFacts.readSmall(procVersion), let version = parseProcVersion(text) {
                return .ok(GPUDriverFacts(driverVersion: version, source: procVersion, gpus: []))
            }
            return .noDriver("no nvidia-smi and no \(procVersion): no NVIDIA driver on this host")
        case .failure(let e): return .failed("nvidia-smi: \(e)")
        case .success(let out):
            if out.timedOut { return .failed("nvidia-smi did not answer within \(Int(timeout)) s") }
            guard out.status == 0 else {
                return .failed("nvidia-smi exited \(out.status): \(out.stdout.split(separator: "\n").first ?? Substring(out.stderr))")
            }
            return parseQuery(out.stdout).map { .ok($0) } ?? .failed("nvidia-smi printed no GPU line (name, driver_version, memory.total)")
        }
    }

    /// `NVIDIA H200, 570.124.06, 143771` per GPU (CSV without units); nil without a line.
    public static func parseQuery(_ text: String) -> GPUDriverFacts? {
        var gpus: [GPU] = []
        var driver: String?
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ",").map { $0.trimmingSpaces(newlines: true) }
            guard f.count >= 3, !f[1].isEmpty else { continue }
            driver = driver ?? f[1]
            gpus.append(GPU(name: f[0], memoryTotalMiB: Int(f[2]) ?? 0))
        }
        return driver.map { GPUDriverFacts(driverVersion: $0, source: "nvidia-smi", gpus: gpus) }
    }

    /// "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar …" → "550.54.15".
    public static func parseProcVersion(_ text: String) -> String? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("NVRM version:") }) else { return nil }
        return line.split(separator: " ").map(String.init).first { word in
            word.first?.isNumber == true && word.contains(".") && word.allSatisfy { $0.isNumber || $0 == "." }
        }
    }
}
