import DoctorCore
import SystemProbes
import Runbook
import Basics

/// Every vLLM service takes HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE from the caller
/// (`${HF_HUB_OFFLINE:-0}`), so an offline proof run needs no file edits (runbook 1B).
public struct OfflineComposeCheck: Check {
    public let id = "offline.compose"
    public let title = "compose lets each run switch offline mode"
    public init() {}

    public func run(_ context: CheckContext) throws -> CheckResult {
        let path = context.composePath
        guard FileFacts.isFile(path) else { return .skip("no \(context.display(path))") }
        let compose: ComposeFile
        do { compose = try ComposeFile.load(path: path) }
        catch { return .fail("\(error)", evidence: ["file": path], fix: "fix the YAML, then re-run") }
        var evidence: Evidence = ["file": path]
        let services = compose.services.filter(\.isVLLM)
        guard !services.isEmpty else { return .skip("no vLLM service in \(context.display(path))", evidence: evidence) }
        var forced: [String] = []
        var missing: [String] = []
        for s in services {
            var state: [String] = []
            for flag in offlineFlagNames {
                let value = s.environment[flag] ?? nil
                if isTogglableReference(value, name: flag) {
                    state.append("\(flag) togglable")
                } else if isTruthyFlag(value) {
                    forced.append("\(s.name): \(flag)=\(value ?? "")"); state.append("\(flag) forced on")
                } else {
                    missing.append("\(s.name): \(flag)"); state.append("\(flag) \(value.map { "fixed to \($0)" } ?? "not passed")")
                }
            }
            evidence["service.\(s.name)"] = state.joined(separator: ", ")
        }
        if !forced.isEmpty {
            if context.profile == .prebaked {
                return .pass("offline forced on in compose (\(forced.joined(separator: "; "))): right for a pre-baked node, which must never download", evidence: evidence)
            }
            return .fail("offline forced on in compose: \(forced.joined(separator: "; "))", evidence: evidence,
                         fix: "sllm-doctor fix --only compose-toggle")
        }
        if !missing.isEmpty {
            return .warn("offline mode cannot be switched per run for \(missing.joined(separator: "; "))", evidence: evidence,
                         fix: "sllm-doctor fix --only compose-toggle (adds the x-offline-env anchor)")
        }
        return .pass("\(services.count) vLLM service(s) take ${HF_HUB_OFFLINE:-0} and ${TRANSFORMERS_OFFLINE:-0}", evidence: evidence)
    }
}
