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
    /// The hosts this check judges must never download (pre-baked nodes): offline flags
    /// forced on are right there, not a crash-loop waiting for a cold cache.
    public let offlineRequired: Bool
    public init(offlineRequired: Bool = false) { self.offlineRequired = offlineRequired }

    public func run(_ context: RunbookFacts) throws -> CheckResult {
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
            readings.append((dialect, judge(services, now: servicesNow(document, context, dialect), context, evidence: evidence)))
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

    /// The services as compose run from this shell gives them now: the shell's own
    /// HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE included (compose reads them, over `.env`, in
    /// both versions), where the judgement of the files leaves them out.
    func servicesNow(_ document: ComposeDocument, _ context: RunbookFacts, _ dialect: DotEnvDialect) -> [String: ResolvedService] {
        // Without the switches in the shell, the files' judgement is already what compose gives.
        guard offlineFlagNames.contains(where: { context.processEnvironment[$0] != nil }) else { return [:] }
        let shell = ComposeEnvironmentResolver.shellBindings(context.processEnvironment)
        let resolver = ComposeEnvironmentResolver(interpolation: context.composeInterpolation(forOfflineJudgement: false, dialect: dialect),
                                                  dialect: dialect, shell: { shell[$0] }, display: context.display)
        var out: [String: ResolvedService] = [:]
        for s in resolver.resolveAll(document) { out[s.name] = s }
        return out
    }

    /// "HF_HUB_OFFLINE=1 in this shell's environment": the shell's variables the value was
    /// made of (a pass-through or an interpolation).
    func fromTheShell(_ v: ResolvedVariable) -> String? {
        if v.passedFrom == "the shell", let value = v.setValue { return "\(v.name)=\(value) in this shell's environment" }
        let names = v.uses.compactMap { u in u.binding.flatMap { $0.source == "the shell" ? "\(u.name)=\($0.value)" : nil } }
        return names.isEmpty ? nil : "\(names.joined(separator: ", ")) in this shell's environment"
    }

    func judge(_ services: [ResolvedService], now: [String: ResolvedService], _ context: RunbookFacts, evidence start: Evidence) -> CheckResult {
        var evidence = start
        var forced: [String] = []
        // Offline forced on by this shell's own switches (compose passes them to every run
        // from it); not a fault of the files, nor when the run asks for offline mode.
        var forcedByShell: [String] = []
        var shellFlags: [String] = []
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
                if let nowValue = now[s.name]?.variables[flag], let value = nowValue.setValue, isTruthyFlag(value),
                   !isTruthyFlag(v.setValue), let shell = fromTheShell(nowValue) {
                    forcedByShell.append("\(s.name): \(shell), which compose passes to \(nowValue.route(display: context.display)) (\(flag)=\(value) now)")
                    shellFlags += offlineFlagNames.filter { shell.contains("\($0)=") && !shellFlags.contains($0) }
                    state.append("\(flag) forced on now by this shell: \(shell)")
                    resolvedValues[flag, default: []].insert(value)
                    continue
                }
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
            if offlineRequired {
                return .pass("offline forced on in compose (\(forced.joined(separator: "; "))): right for a pre-baked node, which must never download", evidence: evidence)
            }
            return .fail("offline forced on in compose: \(forced.joined(separator: "; "))", evidence: evidence,
                         fix: "make each route take the caller's value, off by default (${HF_HUB_OFFLINE:-0}); sllm-doctor fix --only compose-toggle adds the x-offline-env anchor")
        }
        if !forcedByShell.isEmpty {
            let line = forcedByShell.joined(separator: "; ")
            if offlineRequired || context.options.offline {
                evidence["shell"] = "offline forced on by this shell, as this run asks: \(line)"
            } else {
                let names = shellFlags.isEmpty ? offlineFlagNames : shellFlags
                return .fail("offline forced on now by this shell: \(line)", evidence: evidence,
                             fix: "unset \(names.joined(separator: " ")) in the shell that runs compose (set it per command for an offline proof run: HF_HUB_OFFLINE=1 docker compose up ...), or pass --offline when this check is for an offline run")
            }
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
