import DoctorCore
import SystemProbes
import Runbook
import Basics

/// cuda-checkpoint is on PATH and the driver can checkpoint: it copies the GPU's memory to the
/// host and back, and NVIDIA supports it from driver branch 550.
public struct SnapshotCUDACheckpointCheck: Check {
    public let id = "snapshot.cuda-checkpoint"
    public let title = "cuda-checkpoint on PATH, driver branch 550 or later"
    public let mayBlock = true
    public init() {}

    /// NVIDIA's cuda-checkpoint README: display driver 550 and higher.
    public static let minimumBranch = 550

    public func run(_ context: CheckContext) throws -> CheckResult {
        var evidence: Evidence = ["minimum driver branch": String(Self.minimumBranch)]
        var problems: [String] = []
        var fixes: [String] = []
        var driverText = "driver unknown"
        switch context.snapshotDriver {
        case .noDriver(let why), .failed(let why):
            problems.append(why)
            fixes.append("install NVIDIA driver \(Self.minimumBranch) or later")
        case .ok(let facts):
            evidence["driver"] = "\(facts.driverVersion) (from \(facts.source))"
            driverText = "driver \(facts.driverVersion)"
            if let branch = facts.branch, branch < Self.minimumBranch {
                problems.append("driver \(facts.driverVersion) (branch \(branch)) has no CUDA checkpoint support: it came in branch \(Self.minimumBranch)")
                fixes.append("upgrade the NVIDIA driver to branch \(Self.minimumBranch) or later")
            } else if facts.branch == nil {
                problems.append("driver version '\(facts.driverVersion)' from \(facts.source): expected a number such as 570.124.06")
                fixes.append("check the NVIDIA driver install")
            }
        }
        let tool = context.onPath("cuda-checkpoint")
        evidence["cuda-checkpoint"] = tool ?? "not on PATH"
        if tool == nil {
            problems.append("no cuda-checkpoint on PATH: nothing can copy the GPU state out and back")
            fixes.append("put NVIDIA's cuda-checkpoint binary (github.com/NVIDIA/cuda-checkpoint, bin/) on PATH, e.g. /usr/local/bin")
        }
        if problems.isEmpty {
            return .pass("cuda-checkpoint at \(tool!); \(driverText) (branch \(Self.minimumBranch) or later)", evidence: evidence)
        }
        return .fail(problems.joined(separator: "; "), evidence: evidence, fix: fixes.joined(separator: "; "))
    }
}
