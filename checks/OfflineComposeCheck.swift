import DoctorCore
import SystemProbes
import Runbook
import Basics

/// Every vLLM service takes HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE from the caller
/// (`${HF_HUB_OFFLINE:-0}`), so an offline proof run needs no file edits (runbook 1B), and no
/// route forces offline mode on a run that did not ask for it (a crash-loop on a cold cache).
/// Judged from the environment each service really gets: interpolated against `.env` and the
/// shell (with the caller's offline switches unset), env_file lists, `environment`, `extends`.
public struct OfflineComposeCheck: Check {
    public let id = "offline.compose"
    public let title = "compose lets each run switch offline mode"
    public init() {}

    public func run(_ context: CheckContext) throws -> CheckResult {
        let path = context.composePath
        guard FileFacts.isFile(path) else { return .skip("no \(context.display(path))") }
        let document: ComposeDocument
        switch context.composeDocument {
        case .success(let d): document = d
        case .failure(let error): return .fail("\(error)", evidence: ["file": path], fix: "fix the YAML, then re-run")
        }
        guard document.services != nil else {
            return .fail("\(context.display(path)): no 'services:' mapping", evidence: ["file": path], fix: "fix the YAML, then re-run")
        }
        let evidence: Evidence = ["file": path]
        // `.env` and env files are read as the compose CLI here reads them; with no CLI found,
        // both ways, and the worse verdict stands (a false pass is the worst outcome).
        var readings: [(dialect: DotEnvDialect, result: CheckResult)] = []
        for dialect in context.composeDialects {
            let services = (context.resolvedComposeServices(dialect) ?? []).filter(\.isVLLM)
            guard !services.isEmpty else { return .skip("no vLLM service in \(context.display(path))", evidence: evidence) }
            readings.append((dialect, judge(services, context, evidence: evidence)))
        }
        var chosen = readings.max { $0.result.status < $1.result.status }!
        if readings.count == 1 {
            chosen.result.evidence["dotenv"] = ".env and env files read as \(chosen.dialect) reads them (the compose CLI found here)"
        } else if let other = readings.first(where: { $0.dialect != chosen.dialect }),
                  other.result.status != chosen.result.status || other.result.summary != chosen.result.summary {
            chosen.result.evidence["dotenv"] = "no compose CLI found: .env and env files read both ways; this verdict is \(chosen.dialect)'s reading, "
                + "\(other.dialect)'s is \(other.result.status.rawValue): \(other.result.summary)"
        } else {
            chosen.result.evidence["dotenv"] = "no compose CLI found: .env and env files read as \(readings.map { "\($0.dialect)" }.joined(separator: " and ")) read them, alike"
        }
        return chosen.result
    }

    func judge(_ services: [ResolvedService], _ context: CheckContext, evidence start: Evidence) -> CheckResult {
        var evidence = start
        var forced: [String] = []
        var missing: [String] = []
        var unresolved: [String] = []
        var problems: [String] = []
        var resolvedValues: [String: Set<String>] = [:]
        for s in services {
            var state: [String] = []
            for flag in offlineFlagNames {
                guard let v = s.variables[flag] else {
                    missing.append("\(s.name): \(flag)"); state.append("\(flag) not passed")
                    continue
                }
                let route = v.route(display: context.display)
                switch v.value {
                case .unresolved(let why):
                    if v.uses.contains(where: { $0.name == flag }) && why.hasPrefix("\(flag) is required") {
                        state.append("\(flag) required from the caller (\(route))")
                        resolvedValues[flag, default: []].insert("required")
                    } else {
                        unresolved.append("\(s.name): \(flag) cannot be worked out: \(why) (\(route))")
                        state.append("\(flag) unresolved: \(why)")
                    }
                case .passThroughUnset:
                    state.append("\(flag) passed through from the caller, unset now (\(route))")
                    resolvedValues[flag, default: []].insert("unset")
                case .set(let value):
                    let how = v.derivation.map { ": \($0)" } ?? ""
                    if isTruthyFlag(value) {
                        forced.append("\(s.name): \(flag)=\(value) from \(route)\(how)")
                        state.append("\(flag) forced on: \(value) from \(route)\(how)")
                    } else if v.passedFrom != nil || v.uses.contains(where: { $0.name == flag }) {
                        state.append("\(flag) togglable, \(value.isEmpty ? "empty" : value) unless the run sets it (\(route))")
                        resolvedValues[flag, default: []].insert(value.isEmpty ? "empty" : value)
                    } else {
                        missing.append("\(s.name): \(flag)"); state.append("\(flag) fixed to \(value) (\(route))")
                    }
                }
            }
            evidence["service.\(s.name)"] = state.joined(separator: "; ")
            problems += s.problems
        }
        if !problems.isEmpty { evidence["not resolved"] = Array(Set(problems)).sorted().joined(separator: "; ") }
        if !forced.isEmpty {
            if context.profile == .prebaked {
                return .pass("offline forced on in compose (\(forced.joined(separator: "; "))): right for a pre-baked node, which must never download", evidence: evidence)
            }
            return .fail("offline forced on in compose: \(forced.joined(separator: "; "))", evidence: evidence,
                         fix: "make each route take the caller's value, off by default (${HF_HUB_OFFLINE:-0}); sllm-doctor fix --only compose-toggle adds the x-offline-env anchor")
        }
        if !unresolved.isEmpty || !problems.isEmpty {
            let why = unresolved + Array(Set(problems)).sorted()
            return .warn("offline mode could not be worked out for every vLLM service: \(why.joined(separator: "; "))", evidence: evidence,
                         fix: "fix what is named, then re-run")
        }
        if !missing.isEmpty {
            return .warn("offline mode cannot be switched per run for \(missing.joined(separator: "; "))", evidence: evidence,
                         fix: "sllm-doctor fix --only compose-toggle (adds the x-offline-env anchor)")
        }
        let values = offlineFlagNames.map { f in "\(f)=\((resolvedValues[f] ?? []).sorted().joined(separator: "|"))" }
        return .pass("\(services.count) vLLM service(s) take HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE from the caller, off unless the run sets them (now \(values.joined(separator: ", ")))",
                     evidence: evidence)
    }
}
