import DoctorCore
import Runbook
import Basics

/// `.env` reads with docker compose's grammar; duplicates and `$VAR` references are flagged
/// because the runbook says to keep every value explicit.
public struct EnvFileCheck: Check {
    public let id = "env.file"
    public let title = ".env parses with docker compose's grammar"
    /// A pod takes its settings from its spec's env: no `.env` is no fault (pre-baked nodes).
    public let settingsFromPod: Bool
    public init(settingsFromPod: Bool = false) { self.settingsFromPod = settingsFromPod }

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        let env: EnvFile
        switch context.envFile {
        case .failure(let error) where error.missing && settingsFromPod && context.options.envFile == nil:
            // A pod has no .env: its spec's env holds MODEL_NAME, HF_HOME, the offline flags.
            return .pass("no .env: a pre-baked node takes its settings from the pod's environment", evidence: ["env_file": error.path])
        case .failure(let error) where error.missing && context.usingRunbookDefaults:
            var evidence: Evidence = ["env_file": error.path]
            for (k, v) in RunbookDefaults.values { evidence["default.\(k)"] = v }
            return .warn("no .env at \(error.path): judging this host with the runbook's defaults (MODEL_FOLDER=\(RunbookDefaults["MODEL_FOLDER"]!), HF_CACHE_FOLDER=\(RunbookDefaults["HF_CACHE_FOLDER"]!), ports \(RunbookDefaults["VLLM_BASELINE_PORT"]!) and \(RunbookDefaults["VLLM_FASTSTART_PORT"]!); -v lists all)",
                         evidence: evidence,
                         fix: "write \(error.path) from the runbook's step 2 (MODEL_FOLDER, HF_CACHE_FOLDER, MODEL_NAME, ports, token), or pass --env-file PATH")
        case .failure(let error) where error.missing:
            return .fail("cannot read \(error.path): \(error.reason)", evidence: ["env_file": error.path],
                         fix: "create it from the runbook's step 2 (MODEL_FOLDER, HF_CACHE_FOLDER, MODEL_NAME, ports), or pass --env-file PATH")
        case .failure(let error):
            // It exists: telling the user to create it would overwrite their settings.
            return .fail("cannot read \(error.path): \(error.reason)", evidence: ["env_file": error.path],
                         fix: error.fix)
        case .success(let e): env = e
        }
        var evidence: Evidence = ["env_file": env.path, "assignments": String(env.entries.count)]
        if !env.errors.isEmpty {
            for (i, e) in env.errors.enumerated() { evidence["error.\(i + 1)"] = e.description }
            let first = env.errors[0]
            return .fail("\(env.errors.count) bad line(s); first at \(context.display(first.file)):\(first.line): \(first.message)",
                         evidence: evidence, fix: "rewrite line \(first.line) as \(first.expected)")
        }
        var warnings: [String] = []
        for d in env.duplicates {
            warnings.append("\(d.key) set \(d.lines.count) times (lines \(d.lines.map(String.init).joined(separator: ", ")); the last wins)")
            evidence["duplicate.\(d.key)"] = "lines " + d.lines.map(String.init).joined(separator: ", ")
        }
        for e in env.entries where !e.references.isEmpty {
            warnings.append("\(e.key) (line \(e.line)) refers to \(e.references.map { "$" + $0 }.joined(separator: ", "))")
            evidence["reference.\(e.key)"] = "line \(e.line): " + e.references.map { "$" + $0 }.joined(separator: ", ")
        }
        if !warnings.isEmpty {
            return .warn(warnings.joined(separator: "; "), evidence: evidence,
                         fix: "keep one explicit value per key; write values out instead of referring to other variables")
        }
        return .pass("\(env.entries.count) assignments, no duplicates, no variable references", evidence: evidence)
    }
}
