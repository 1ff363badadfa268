import DoctorCore
import SystemProbes
import Runbook
import Basics

/// The ServerlessLLM Store conversion is complete (runbook step 4.3). A half-written one
/// makes the next conversion die with FileExistsError and faststart fail to load.
public struct ModelStoreCheck: Check {
    public let id = "model.store"
    public let title = "ServerlessLLM Store conversion is complete"
    public let dependsOn = ["env.values"]
    public init() {}

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        if context.usingRunbookDefaults { return .skip("no .env yet: your converted model is checked once .env names MODEL_FOLDER and MODEL_NAME") }
        guard let (store, finding) = context.storeModel else { return .skip("MODEL_FOLDER or MODEL_NAME not set") }
        var evidence: Evidence = ["store_dir": store.dir]
        switch finding {
        case .missing:
            return .warn("not converted yet: \(store.dir) is missing (faststart cannot start)", evidence: evidence,
                         fix: "run the conversion (runbook step 4) with HF_HUB_OFFLINE=0")
        case .incomplete(let problems):
            for (i, p) in problems.prefix(10).enumerated() { evidence["problem.\(i + 1)"] = p }
            return .fail("half-finished conversion: \(problems.first ?? "")\(problems.count > 1 ? " (+\(problems.count - 1) more)" : "")",
                         evidence: evidence,
                         fix: "\(RepairHint.only(.storeCleanup)) (removes \(store.dir)), then convert again")
        case .complete(let ranks, let bytes):
            evidence["ranks"] = String(ranks)
            evidence["data"] = formatBytes(bytes)
            return .pass("\(ranks) rank(s), \(formatBytes(bytes)) of tensor data", evidence: evidence)
        }
    }
}
