import Foundation
import SystemProbes
import Basics

// `.env` and common.env as the compose CLI reads them (`DotEnvDialect`): values interpolated,
// never taken as written. `${PROOF_RUN:-1}` is `1` to every container, so it is `1` to the checks.

extension RunbookFacts {
    /// `.env` as each reading of `composeDialects` gives it (the last assignment of a key wins),
    /// interpolated against the shell. Read once per run.
    public var dotEnvReadings: [(dialect: DotEnvDialect, values: [String: DotEnvDialect.Assignment])] {
        memoized("dotenv readings") { [self] in
            guard let env else { return [] }
            let shell = ComposeEnvironmentResolver.shellBindings(processEnvironment)
            return composeDialects.map { dialect in
                var values: [String: DotEnvDialect.Assignment] = [:]
                for a in dialect.read(env.source, path: env.path, display: display(env.path), lookup: { shell[$0] }) { values[a.key] = a }
                return (dialect, values)
            }
        }
    }

    /// The offline flags common.env turns on, as a compose CLI reads it as an env_file: v1
    /// against the shell, v2 against the shell and `.env`, the caller's own HF_HUB_OFFLINE and
    /// TRANSFORMERS_OFFLINE counted as unset (what a run that did not ask for offline mode
    /// gets). With no CLI found, both readings count: a flag either turns on is forced.
    public func forcedOfflineFlags(commonEnvText text: String) -> [(assignment: DotEnvDialect.Assignment, dialect: DotEnvDialect)] {
        let shell = ComposeEnvironmentResolver.shellBindings(processEnvironment, excluding: Set(offlineFlagNames))
        var seen = Set<Int>()
        var out: [(DotEnvDialect.Assignment, DotEnvDialect)] = []
        for dialect in composeDialects {
            let withDotEnv = composeInterpolation(forOfflineJudgement: true, dialect: dialect).lookup
            let v1 = dialect == .composeV1
            let outside: @Sendable (String) -> ComposeInterpolation.Binding? = { v1 ? shell[$0] : withDotEnv($0) }
            for a in dialect.read(text, path: commonEnvPath, display: display(commonEnvPath), lookup: outside)
            where offlineFlagNames.contains(a.key) && isTruthyFlag(a.value) && !seen.contains(a.line) {
                seen.insert(a.line)
                out.append((a, dialect))
            }
        }
        return out.sorted { $0.0.line < $1.0.line }
    }

    /// How a forced flag reads in a message: `common.env:3 HF_HUB_OFFLINE=1`, or with its
    /// text and the reading when it was interpolated.
    public func describe(forced flag: (assignment: DotEnvDialect.Assignment, dialect: DotEnvDialect)) -> String {
        let a = flag.assignment
        let how = a.uses.isEmpty && a.written == a.value ? "" : " (\(a.key)=\(a.written) as \(flag.dialect) reads it)"
        return "\(display(commonEnvPath)):\(a.line) \(a.key)=\(a.value ?? "")\(how)"
    }
}
