import Foundation
import Basics

/// GPUs and their memory as nvidia-smi reports them (CSV, no units).
public struct GPUInventory: Sendable, Equatable {
    public struct GPU: Sendable, Equatable {
        public var index: Int
        public var name: String
        public var memoryUsedMiB: Int
        public var memoryTotalMiB: Int
    }
    public struct GPUProcess: Sendable, Equatable {
        public var pid: Int
        public var name: String
        public var usedMiB: Int
    }
    public var gpus: [GPU]
    public var processes: [GPUProcess]

    public enum Outcome: Sendable {
        case unavailable(String)
        case failed(String)
        case ok(GPUInventory)
    }

    public static func query(_ commands: CommandRunning, timeout: TimeInterval = 5) -> Outcome {
        let gpuArgs = ["nvidia-smi", "--query-gpu=index,name,memory.used,memory.total", "--format=csv,noheader,nounits"]
        let out: CommandOutput
        switch commands.run(gpuArgs, timeout: timeout) {
        case .failure(.notFound): return .unavailable("no nvidia-smi: no NVIDIA GPU on this host")
        case .failure(let e): return .failed("nvidia-smi: \(e)")
        case .success(let o): out = o
        }
        if out.timedOut { return .failed("nvidia-smi did not answer within \(Int(timeout)) s") }
        if out.status != 0 {
            return .failed("nvidia-smi exited \(out.status): \(out.stdout.split(separator: "\n").first ?? Substring(out.stderr))")
        }
        let gpus = parseCSV(out.stdout).compactMap { f -> GPU? in
            guard f.count >= 4, let i = Int(f[0]) else { return nil }
            return GPU(index: i, name: f[1], memoryUsedMiB: Int(f[2]) ?? 0, memoryTotalMiB: Int(f[3]) ?? 0)
        }
        var processes: [GPUProcess] = []
        if case .success(let p) = commands.run(["nvidia-smi", "--query-compute-apps=pid,process_name,used_memory", "--format=csv,noheader,nounits"], timeout: timeout),
           p.status == 0 {
            processes = parseCSV(p.stdout).compactMap { f in
                guard f.count >= 3, let pid = Int(f[0]) else { return nil }
                return GPUProcess(pid: pid, name: f[1], usedMiB: Int(f[2]) ?? 0)
            }
        }
        return .ok(GPUInventory(gpus: gpus, processes: processes))
    }

    static func parseCSV(_ text: String) -> [[String]] {
        text.split(separator: "\n").map { $0.split(separator: ",").map { $0.trimmingSpaces() } }
    }

    public var summary: String {
        gpus.map { "\($0.name), \($0.memoryTotalMiB) MiB" }.joined(separator: "; ")
    }
    public var memoryUsedMiB: Int { gpus.reduce(0) { $0 + $1.memoryUsedMiB } }
}
