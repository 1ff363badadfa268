import DoctorCore
import SystemProbes
import Runbook
import Basics

/// Offline flags stuck on in common.env make the baseline crash-loop whenever the cache is
/// cold; the runbook deletes them and sets offline per run.
public struct OfflineCommonEnvCheck: Check {
    public let id = "offline.common-env"
    public let title = "common.env does not force HF offline mode"
    /// The hosts this check judges must never download (pre-baked nodes): offline flags
    /// forced on are right there, not a crash-loop waiting for a cold cache.
    public let offlineRequired: Bool
    public init(offlineRequired: Bool = false) { self.offlineRequired = offlineRequired }

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        let path = context.commonEnvPath
        guard FileFacts.isFile(path) else {
            return offlineRequired ? Self.prebakedEnvironment(context) : .skip("no \(context.display(path))")
        }
        let file = try EnvFile.load(path: path)
        var evidence: Evidence = ["file": path]
        // Read as compose reads an env_file: `HF_HUB_OFFLINE=${PROOF_RUN:-1}` is on.
        let stuck = context.forcedOfflineFlags(commonEnvText: file.source)
        for flag in stuck {
            let a = flag.assignment
            evidence[a.key] = "line \(a.line): \(a.written)" + (a.written == a.value ? "" : " (\(a.value ?? "") as \(flag.dialect) reads it)")
        }
        if !stuck.isEmpty {
            let where_ = stuck.map { context.describe(forced: $0) }.joined(separator: ", ")
            if offlineRequired {
                return .pass("offline on for every run (\(where_)): right for a pre-baked node, which must never download", evidence: evidence)
            }
            return .fail("offline forced on for every run: \(where_)", evidence: evidence,
                         fix: "\(RepairHint.only(.offlineFlags)) (deletes those lines, keeps the rest)")
        }
        if let first = file.errors.first {
            return .warn("\(first.description)", evidence: evidence)
        }
        if offlineRequired { return Self.prebakedEnvironment(context) }
        return .pass("no offline flag set", evidence: evidence)
    }

    /// Pre-baked: the flags belong in the pod's environment, on: a file missing from the bake
    /// then fails the start at once instead of being downloaded on every node.
    static func prebakedEnvironment(_ context: RunbookFacts) -> CheckResult {
        let on = offlineFlagNames.filter { isTruthyFlag(context.processEnvironment[$0]) }
        var evidence = Evidence()
        for key in offlineFlagNames { evidence[key] = context.processEnvironment[key] ?? "(not set)" }
        if !on.isEmpty {
            return .pass("\(on.map { "\($0)=\(context.processEnvironment[$0]!)" }.joined(separator: ", ")) in the environment: right for a pre-baked node, which must never download",
                         evidence: evidence)
        }
        return .warn("offline flags off: a file missing from the baked volume would be downloaded at every start instead of failing at once",
                     evidence: evidence, fix: "set HF_HUB_OFFLINE=1 and TRANSFORMERS_OFFLINE=1 in the pod's env")
    }
}
