import DoctorCore
import SystemProbes

/// Offline flags stuck on in common.env make the baseline crash-loop whenever the cache is
/// cold; the runbook deletes them and sets offline per run.
public struct OfflineCommonEnvCheck: Check {
    public let id = "offline.common-env"
    public let title = "common.env does not force HF offline mode"
    public init() {}

    public func run(_ context: CheckContext) throws -> CheckResult {
        let path = context.commonEnvPath
        guard FileFacts.isFile(path) else { return .skip("no \(context.display(path))") }
        let file = try EnvFile.load(path: path)
        var evidence: Evidence = ["file": path]
        let stuck = file.entries.filter { offlineFlagNames.contains($0.key) && isTruthyFlag($0.value) }
        for e in stuck { evidence["\(e.key)"] = "line \(e.line): \(e.value)" }
        if !stuck.isEmpty {
            let where_ = stuck.map { "\(context.display(path)):\($0.line) \($0.key)=\($0.value)" }.joined(separator: ", ")
            return .fail("offline forced on for every run: \(where_)", evidence: evidence,
                         fix: "\(RepairHint.only(.offlineFlags)) (deletes those lines, keeps the rest)")
        }
        if let first = file.errors.first {
            return .warn("\(first.description)", evidence: evidence)
        }
        return .pass("no offline flag set", evidence: evidence)
    }
}
