import Foundation
import Testing
import TestSupport
@testable import DoctorCore
import Runbook
import Basics
import Checks
import Repair
import SystemProbes

/// Issue 29 leftovers: `.env` and common.env values are read as compose reads them (interpolated,
/// each compose version's dotenv rules), by every check, not only offline.compose.
@Suite("env.values and offline.common-env read values as compose does (issue 29)")
struct DotEnvReadingTests {
    /// The CLI folders live as long as the test.
    final class Kept: @unchecked Sendable { var dirs: [TempDir] = [] }
    let kept = Kept()

    /// A context whose PATH finds only `cli` (a folder of its own for each: one CLI never hides another).
    func context(_ root: String, cli: String?, _ tmp: TempDir) -> RunbookFacts {
        let tools = TempDir()
        kept.dirs.append(tools)
        return RunbookFacts(options: .init(root: root), processEnvironment: OfflineInterpolationTests.shell(cli, tools))
    }

    func result(_ id: String, _ c: RunbookFacts) throws -> CheckResult {
        try #require(try runChecks(c, only: [id])[id]).result
    }

    /// A default taken through `.env` forces offline mode in common.env: v2 interpolates an
    /// env_file against `.env`; with no CLI found both readings count.
    @Test(arguments: ["v2", nil] as [String?])
    func aCommonEnvFlagTurnedOnThroughDotEnvIsNoPass(_ cli: String?) throws {
        let tmp = TempDir()
        let root = makeRunbook(tmp, extraEnv: "HF_HUB_OFFLINE=${X:-1}\n")
        tmp.write("repo/vllm_bridge/env/common.env", "VLLM_LOGGING_LEVEL=INFO\nHF_HUB_OFFLINE=${HF_HUB_OFFLINE:-0}\n")
        let r = try result("offline.common-env", context(root, cli: cli, tmp))
        #expect(r.status == .fail, "\(r.summary)")
        #expect(r.summary.contains("vllm_bridge/env/common.env:2 HF_HUB_OFFLINE=1 (HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-0} as compose v2"), "\(r.summary)")
    }

    /// v1 reads an env_file against the shell only: `.env` does not reach it.
    @Test func v1DoesNotLetDotEnvReachCommonEnv() throws {
        let tmp = TempDir()
        let root = makeRunbook(tmp, extraEnv: "HF_HUB_OFFLINE=${X:-1}\n")
        tmp.write("repo/vllm_bridge/env/common.env", "HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-0}\n")
        let r = try result("offline.common-env", context(root, cli: "v1", tmp))
        #expect(r.status == .pass, "\(r.summary)")
    }

    /// A default of its own in common.env is on for every reading; the shell's own switch does
    /// not count (a run that did not ask for offline mode gets the default).
    @Test(arguments: ["v1", "v2", nil] as [String?])
    func aTrueDefaultInCommonEnvFails(_ cli: String?) throws {
        let tmp = TempDir()
        let root = makeRunbook(tmp)
        tmp.write("repo/vllm_bridge/env/common.env", "TRANSFORMERS_OFFLINE=${PROOF_RUN:-1}\n")
        let c = context(root, cli: cli, tmp)
        let r = try result("offline.common-env", c)
        #expect(r.status == .fail, "\(r.summary)")
        #expect(r.summary.contains("common.env:1 TRANSFORMERS_OFFLINE=1 (TRANSFORMERS_OFFLINE=${PROOF_RUN:-1} as "), "\(r.summary)")
        #expect(c.offlineSource?.contains("common.env:1 TRANSFORMERS_OFFLINE=1") == true, "\(c.offlineSource ?? "nil")")
        // fix --only offline-flags removes what the check fails on.
        let step = try OfflineFlagsAction().plan(c, FixOptions())
        #expect(step == .change(["delete vllm_bridge/env/common.env:1", "backup vllm_bridge/env/common.env.bak"]), "\(step)")
    }

    /// Single quotes: python-dotenv (v1) expands them, compose v2 keeps them as text.
    @Test func singleQuotesAreOnForV1AndTextForV2() throws {
        let tmp = TempDir()
        let root = makeRunbook(tmp)
        tmp.write("repo/vllm_bridge/env/common.env", "HF_HUB_OFFLINE='${PROOF_RUN:-1}'\n")
        #expect(try result("offline.common-env", context(root, cli: "v1", tmp)).status == .fail)
        #expect(try result("offline.common-env", context(root, cli: "v2", tmp)).status == .pass)
        #expect(try result("offline.common-env", context(root, cli: nil, tmp)).status == .fail)
    }

    /// env.values judges the values compose gives: a path built from a default is a path, a
    /// port from a default is a port, and a default that is no path fails naming what it became.
    @Test(arguments: ["v1", "v2", nil] as [String?])
    func envValuesAreInterpolated(_ cli: String?) throws {
        let tmp = TempDir()
        let models = tmp.mkdir("nvme/sllm-models")
        let port = freePort()
        tmp.write("repo/.env", """
            MODELS_ROOT=\(FileFacts.parent(of: models))
            MODEL_FOLDER=${MODELS_ROOT}/sllm-models
            HF_CACHE_FOLDER=${CACHE:-\(tmp.mkdir("nvme/hf-cache"))}
            MODEL_NAME=${NAME:-meta-llama/Llama-3.1-8B-Instruct}
            VLLM_BASELINE_PORT=${PORT:-\(port)}
            MEM_POOL_SIZE=${POOL:-32GB}

            """, mode: 0o600)
        let root = tmp.path + "/repo"
        let c = context(root, cli: cli, tmp)
        let r = try result("env.values", c)
        #expect(r.status == .pass, "\(r.summary)")
        #expect(r.summary == "MODEL_NAME=meta-llama/Llama-3.1-8B-Instruct, folders and 1 port(s) valid", "\(r.summary)")
        #expect(c.modelFolder == models)
        #expect(c.portVariables.map(\.value) == ["\(port)"])

        tmp.write("repo/.env", "MODEL_FOLDER=${ROOT:-nvme}/models\nHF_CACHE_FOLDER=/nvme/hf\nMODEL_NAME=a/b\n", mode: 0o600)
        let bad = try result("env.values", context(root, cli: cli, tmp))
        #expect(bad.status == .fail)
        #expect(bad.summary == "MODEL_FOLDER 'nvme/models' at .env:1 is not an absolute path", "\(bad.summary)")
    }
}
