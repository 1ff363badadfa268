import DoctorCore
import SystemProbes
import Runbook
import Basics

/// GPUs are visible and free: a leftover server holding memory makes the next start fail
/// or slows it down.
public struct GPUCheck: Check {
    public let id = "gpu.nvidia-smi"
    public let title = "GPUs visible, no leftover processes holding memory"
    public let mayBlock = true
    public init() {}

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        let gpus: GPUInventory
        switch GPUInventory.query(context.commands) {
        case .unavailable(let reason): return .skip(reason)
        case .failed(let reason): return .fail(reason, fix: "check the NVIDIA driver (nvidia-smi must run)")
        case .ok(let inventory): gpus = inventory
        }
        var evidence = Evidence()
        for g in gpus.gpus { evidence["gpu\(g.index)"] = "\(g.name), \(g.memoryUsedMiB)/\(g.memoryTotalMiB) MiB used" }
        if gpus.gpus.isEmpty { return .fail("nvidia-smi lists no GPU", evidence: evidence) }
        if !gpus.processes.isEmpty {
            for p in gpus.processes { evidence["pid \(p.pid)"] = "\(p.name): \(p.usedMiB) MiB" }
            let pids = gpus.processes.map { String($0.pid) }.joined(separator: " ")
            return .warn("\(gpus.processes.count) process(es) hold GPU memory: \(gpus.processes.map { "\($0.name) (\($0.pid))" }.joined(separator: ", "))",
                         evidence: evidence, fix: "stop them before benchmarking (kill \(pids))")
        }
        return .pass(gpus.gpus.map { "\($0.name) \($0.memoryTotalMiB) MiB" }.joined(separator: ", "), evidence: evidence)
    }
}
