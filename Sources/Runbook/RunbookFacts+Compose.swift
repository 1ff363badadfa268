import Foundation
import SystemProbes
import Basics

// The compose file and the Docker engine as the checks see them: read, parsed, resolved and
// asked once per run, whichever check asks first.

extension RunbookFacts {
    /// The compose file's inode, size and change time: what the memos of its parse are keyed by.
    var composeFileIdentity: String {
        var st = stat()
        return stat(composePath, &st) == 0 ? "\(st.st_ino).\(st.st_size).\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)" : "none"
    }

    /// vllm_bridge/docker-compose.yml, read and parsed once per run (offline.compose and
    /// runtime.compose both walk it); read again if the file was replaced or changed since.
    public var composeDocument: Result<ComposeDocument, ComposeFile.ParseError> {
        memoized("compose document \(composeFileIdentity)") { [self] in
            do throws(ComposeFile.ParseError) { return .success(try ComposeDocument.load(path: composePath)) }
            catch { return .failure(error) }
        }
    }
}

extension RunbookFacts {
    /// How the compose CLI on this host reads `.env` and env files (`DotEnvDialect`): the
    /// located CLI's (no process runs), or both readings when none is found (a verdict then
    /// takes the worse one).
    public var composeDialects: [DotEnvDialect] {
        memoized("compose dialects") { [self] in
            ComposeCLI.locate(environment: processEnvironment).map { [DotEnvDialect(generation: $0.cli.generation)] } ?? DotEnvDialect.allCases
        }
    }

    /// Every service of vllm_bridge/docker-compose.yml resolved for the offline judgement, once
    /// per run (offline.compose judges the flags; runtime.compose takes the problems, image and
    /// build from it, which the caller's offline switches do not change). nil: no parsable file.
    public var resolvedComposeServices: [ResolvedService]? { resolvedComposeServices(composeDialects[0]) }

    /// The same, with `.env` and env files read as `dialect` reads them.
    public func resolvedComposeServices(_ dialect: DotEnvDialect) -> [ResolvedService]? {
        guard case .success(let document) = composeDocument else { return nil }
        return memoized("compose services \(dialect.rawValue) \(composeFileIdentity)") { [self] in
            let shell = ComposeEnvironmentResolver.shellBindings(processEnvironment, excluding: Set(offlineFlagNames))
            return ComposeEnvironmentResolver(interpolation: composeInterpolation(forOfflineJudgement: true, dialect: dialect),
                                              dialect: dialect, shell: { shell[$0] }, display: display)
                .resolveAll(document)
        }
    }

    /// Compose's interpolation as the runbook's commands get it (`--env-file .env`, the shell
    /// winning over the file, the file's values interpolated as `dialect` reads them; the CLI's
    /// when nil). For judging offline mode, the caller's per-run switches (HF_HUB_OFFLINE,
    /// TRANSFORMERS_OFFLINE in the shell) count as unset: what matters is what a run that does
    /// not ask for offline mode gets.
    public func composeInterpolation(forOfflineJudgement: Bool, dialect: DotEnvDialect? = nil) -> ComposeInterpolation {
        let variables = ComposeEnvironmentResolver.variables(
            dotenvText: env?.source, dotenvPath: envFilePath, dotenvDisplay: display(envFilePath), shell: processEnvironment,
            excluding: forOfflineJudgement ? Set(offlineFlagNames) : [], dialect: dialect ?? composeDialects[0])
        var interpolation = ComposeInterpolation(variables)
        interpolation.allowsAlternatives = (dialect ?? composeDialects[0]) == .composeV2
        interpolation.strayDollarIsText = (dialect ?? composeDialects[0]) == .composeV2
        return interpolation
    }
}

extension RunbookFacts {
    /// The engine's state and the runbook's containers, from one request per run
    /// (runtime.compose and runtime.containers share it).
    public var dockerEngineSnapshot: (state: DockerEngineAPI.State, containers: Result<[DockerEngineAPI.Container], DockerEngineAPI.Failure>) {
        memoized("docker engine") { [self] in
            DockerEngineAPI.snapshot(containers: RunbookFacts.runbookContainers, environment: processEnvironment)
        }
    }

    public var dockerEngine: DockerEngineAPI.State { dockerEngineSnapshot.state }
}
