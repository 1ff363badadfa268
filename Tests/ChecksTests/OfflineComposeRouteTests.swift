import Foundation
import Testing
import TestSupport
@testable import DoctorCore
@testable import Runbook
import Basics
import Checks
import SystemProbes

/// offline.compose judges the environment each vLLM service really gets (issue 25 item 4):
/// every route that turns offline mode on by default fails, naming the file, the line and
/// the route. Each case here passed (or only warned) before the resolver.
@Suite("offline.compose: every route to the effective environment")
struct OfflineComposeRouteTests {
    /// The shell as `check` sees it, without the caller's offline switches (they must not
    /// change a verdict about the files).
    static let shell: [String: String] = {
        var env = ProcessInfo.processInfo.environment
        for k in offlineFlagNames { env[k] = nil }
        return env
    }()

    func judge(_ tmp: TempDir, _ repo: String, shell: [String: String] = Self.shell) throws -> CheckResult {
        let context = RunbookFacts(options: .init(root: repo, runbookDefaults: true), processEnvironment: shell)
        return try #require(try runChecks(context, only: ["offline.compose"])["offline.compose"]).result
    }

    func repo(_ compose: String, _ files: [String: String] = [:]) -> (TempDir, String) {
        let tmp = TempDir()
        let root = makeRunbook(tmp)
        tmp.write("repo/vllm_bridge/docker-compose.yml", compose)
        for (path, text) in files { tmp.write("repo/\(path)", text) }
        return (tmp, root)
    }

    @Test func aTrueDefaultForTheCallersOwnVariableFails() throws {
        let (tmp, root) = repo("""
        services:
          vllm_baseline:
            image: vllm/vllm-openai
            environment:
              HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-1}
              TRANSFORMERS_OFFLINE: ${TRANSFORMERS_OFFLINE:-0}
        """)
        let r = try judge(tmp, root)
        #expect(r.status == .fail, "\(r.summary)")
        #expect(r.summary.contains("vllm_baseline: HF_HUB_OFFLINE=1 from vllm_bridge/docker-compose.yml:5 HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-1}"), "\(r.summary)")
        #expect(r.summary.contains("took its default (HF_HUB_OFFLINE is not set)"), "\(r.summary)")
        // The summary never claims the service takes a :-0 default it does not have.
        #expect(!r.summary.contains(":-0}") || r.summary.contains("fix"))
        #expect(!r.summary.contains("take ${HF_HUB_OFFLINE:-0}"))
    }

    @Test func aDashDefaultWithTheVariableUnsetFails() throws {
        let (tmp, root) = repo("""
        services:
          vllm_faststart:
            image: vllm/vllm-openai
            environment:
              - HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-0}
              - TRANSFORMERS_OFFLINE=${TRANSFORMERS_OFFLINE-true}
        """)
        let r = try judge(tmp, root)
        #expect(r.status == .fail, "\(r.summary)")
        #expect(r.summary.contains("vllm_faststart: TRANSFORMERS_OFFLINE=true from vllm_bridge/docker-compose.yml:6"), "\(r.summary)")
        // The same file with the variable set to 0 in the shell: `-` takes the set value. The
        // shell's TRANSFORMERS_OFFLINE is the caller's switch, so the verdict stays about the file.
        var shell = Self.shell
        shell["TRANSFORMERS_OFFLINE"] = "0"
        #expect(try judge(tmp, root, shell: shell).status == .fail)
    }

    @Test func truthyValuesInAnyCaseFailAndFalsyOnesPass() throws {
        for (value, forced) in [("YES", true), ("On", true), ("tRuE", true), ("1", true), ("0", false), ("false", false), ("off", false), ("", false)] {
            let (tmp, root) = repo("""
            services:
              vllm_baseline:
                image: vllm/vllm-openai
                environment:
                  HF_HUB_OFFLINE: "${HF_HUB_OFFLINE:-\(value)}"
                  TRANSFORMERS_OFFLINE: ${TRANSFORMERS_OFFLINE:-0}
            """)
            let r = try judge(tmp, root)
            #expect(r.status == (forced ? .fail : .pass), "\(value): \(r.summary)")
        }
    }

    @Test func anEnvFileListEntryThatForcesOfflineFails() throws {
        let (tmp, root) = repo("""
        services:
          vllm_baseline:
            image: vllm/vllm-openai
            env_file:
              - env/common.env
              - env/offline.env
            environment:
              TRANSFORMERS_OFFLINE: ${TRANSFORMERS_OFFLINE:-0}
        """, ["vllm_bridge/env/common.env": "HF_HUB_OFFLINE=0\n", "vllm_bridge/env/offline.env": "# proof runs\nHF_HUB_OFFLINE=1\n"])
        let r = try judge(tmp, root)
        #expect(r.status == .fail, "\(r.summary)")
        #expect(r.summary.contains("vllm_baseline: HF_HUB_OFFLINE=1 from vllm_bridge/env/offline.env:2 HF_HUB_OFFLINE=1 (env_file env/offline.env (vllm_bridge/docker-compose.yml:6))"), "\(r.summary)")
        // Later files win: the same two files in the other order leave HF_HUB_OFFLINE fixed to 0.
        tmp.write("repo/vllm_bridge/docker-compose.yml", """
        services:
          vllm_baseline:
            image: vllm/vllm-openai
            env_file: [env/offline.env, env/common.env]
            environment:
              TRANSFORMERS_OFFLINE: ${TRANSFORMERS_OFFLINE:-0}
        """)
        let later = try judge(tmp, root)
        #expect(later.status == .warn, "\(later.summary)")
        #expect(later.evidence["service.vllm_baseline"]?.contains("HF_HUB_OFFLINE fixed to 0 (vllm_bridge/env/common.env:1") == true)
    }

    @Test func environmentOverridesAnEnvFile() throws {
        let (tmp, root) = repo("""
        services:
          vllm_baseline:
            image: vllm/vllm-openai
            env_file: env/offline.env
            environment:
              HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-0}
              TRANSFORMERS_OFFLINE: ${TRANSFORMERS_OFFLINE:-0}
        """, ["vllm_bridge/env/offline.env": "HF_HUB_OFFLINE=1\nTRANSFORMERS_OFFLINE=1\n"])
        let r = try judge(tmp, root)
        #expect(r.status == .pass, "\(r.summary)")
        #expect(r.summary.contains("now HF_HUB_OFFLINE=0, TRANSFORMERS_OFFLINE=0"), "\(r.summary)")
    }

    @Test func extendsFromAnotherFileThatForcesOfflineFails() throws {
        let (tmp, root) = repo("""
        services:
          vllm_baseline:
            extends:
              file: base/common.yml
              service: vllm_common
            environment:
              TRANSFORMERS_OFFLINE: ${TRANSFORMERS_OFFLINE:-0}
        """, ["vllm_bridge/base/common.yml": """
        services:
          vllm_common:
            image: vllm/vllm-openai
            env_file: offline.env
            environment:
              HF_HOME: /hf
        """, "vllm_bridge/base/offline.env": "HF_HUB_OFFLINE=yes\n"])
        let r = try judge(tmp, root)
        #expect(r.status == .fail, "\(r.summary)")
        // The env file is relative to the file that names it, and the route names both hops.
        #expect(r.summary.contains("vllm_baseline: HF_HUB_OFFLINE=yes from vllm_bridge/base/offline.env:1 HF_HUB_OFFLINE=yes (env_file offline.env (vllm_bridge/base/common.yml:4), extends vllm_common in vllm_bridge/base/common.yml (vllm_bridge/docker-compose.yml:3))"), "\(r.summary)")
    }

    @Test func extendsInTheSameFileAndTheServiceOverrides() throws {
        let (tmp, root) = repo("""
        x-base: &base
          image: vllm/vllm-openai
        services:
          common:
            <<: *base
            environment:
              HF_HUB_OFFLINE: "1"
              TRANSFORMERS_OFFLINE: ${TRANSFORMERS_OFFLINE:-0}
          vllm_baseline:
            extends: common
          vllm_faststart:
            extends: { service: common }
            environment:
              HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-0}
        """)
        let r = try judge(tmp, root)
        #expect(r.status == .fail)
        #expect(r.summary.contains("vllm_baseline: HF_HUB_OFFLINE=1 from vllm_bridge/docker-compose.yml:7 HF_HUB_OFFLINE: 1 (extends common (vllm_bridge/docker-compose.yml:10))"), "\(r.summary)")
        #expect(!r.summary.contains("vllm_faststart: HF_HUB_OFFLINE"), "\(r.summary)")
    }

    @Test func theDotEnvFileIsARouteToo() throws {
        let (tmp, root) = repo("""
        services:
          vllm_baseline:
            image: vllm/vllm-openai
            environment:
              HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-0}
              TRANSFORMERS_OFFLINE:
        """)
        tmp.write("repo/.env", "MODEL_NAME=x/y\nHF_HUB_OFFLINE=1\nTRANSFORMERS_OFFLINE=TRUE\n", mode: 0o600)
        let r = try judge(tmp, root)
        #expect(r.status == .fail, "\(r.summary)")
        #expect(r.summary.contains("HF_HUB_OFFLINE=1 from vllm_bridge/docker-compose.yml:5 HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-0}: HF_HUB_OFFLINE=1 from .env:2"), "\(r.summary)")
        #expect(r.summary.contains("TRANSFORMERS_OFFLINE=TRUE from vllm_bridge/docker-compose.yml:6 TRANSFORMERS_OFFLINE: : passed through from .env:3"), "\(r.summary)")
    }

    @Test func aDefaultThroughAnotherVariableFails() throws {
        let (tmp, root) = repo("""
        services:
          vllm_baseline:
            image: vllm/vllm-openai
            environment:
              HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-${PROOF_RUN:-1}}
              TRANSFORMERS_OFFLINE: $PROOF_RUN
        """)
        let r = try judge(tmp, root)
        #expect(r.status == .fail, "\(r.summary)")
        #expect(r.summary.contains("${PROOF_RUN:-1} took its default (PROOF_RUN is not set)"), "\(r.summary)")
    }

    @Test func whatCannotBeResolvedIsSaidAndNeverPasses() throws {
        let (tmp, root) = repo("""
        services:
          vllm_baseline:
            image: vllm/vllm-openai
            env_file: [env/missing.env]
            environment:
              HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-0}
              TRANSFORMERS_OFFLINE: ${OFFLINE_SWITCH:?set OFFLINE_SWITCH}
        """)
        let r = try judge(tmp, root)
        #expect(r.status == .warn, "\(r.summary)")
        #expect(r.summary.contains("TRANSFORMERS_OFFLINE cannot be worked out: OFFLINE_SWITCH is required and not set: set OFFLINE_SWITCH"), "\(r.summary)")
        #expect(r.summary.contains("vllm_bridge/docker-compose.yml:4: env_file env/missing.env: vllm_bridge/env/missing.env: no such file"), "\(r.summary)")
    }

    @Test func extendsCyclesAndLongChainsAreBounded() throws {
        let (tmp, root) = repo("""
        services:
          vllm_a:
            image: vllm/vllm-openai
            extends: vllm_b
          vllm_b:
            extends: { service: vllm_a, file: docker-compose.yml }
        """)
        let r = try judge(tmp, root)
        #expect(r.status == .warn, "\(r.summary)")
        #expect(r.summary.contains("extends cycle: vllm_a (vllm_bridge/docker-compose.yml) → vllm_b (vllm_bridge/docker-compose.yml) → vllm_a"), "\(r.summary)")

        var chain = "services:\n"
        for i in 0..<40 { chain += "  vllm_\(i):\n    image: vllm\n    extends: vllm_\(i + 1)\n" }
        chain += "  vllm_40:\n    image: vllm\n    environment: [HF_HUB_OFFLINE=1]\n"
        tmp.write("repo/vllm_bridge/docker-compose.yml", chain)
        let long = try judge(tmp, root)
        #expect(long.status == .fail)   // vllm_40 itself, and the short chains, still judged
        #expect(long.evidence["not resolved"]?.contains("extends chain longer than 10 services") == true)
    }

    @Test func aFIFOAsAnEnvFileIsRefusedNotWaitedOn() throws {
        let (tmp, root) = repo("""
        services:
          vllm_baseline:
            image: vllm/vllm-openai
            env_file: env/pipe.env
            environment: [HF_HUB_OFFLINE=0, TRANSFORMERS_OFFLINE=0]
        """)
        _ = tmp.mkdir("repo/vllm_bridge/env")
        #expect(mkfifo(tmp.path + "/repo/vllm_bridge/env/pipe.env", 0o600) == 0)
        let r = try judge(tmp, root)
        #expect(r.status == .warn, "\(r.summary)")
        #expect(r.summary.contains("a FIFO (named pipe), not a regular file"), "\(r.summary)")
    }

    @Test func theRunbooksOwnAnchorPasses() throws {
        let (tmp, root) = repo(RunbookCompose.text, ["vllm_bridge/env/common.env": RunbookCompose.commonEnv])
        let r = try judge(tmp, root)
        #expect(r.status == .pass, "\(r.summary)")
        #expect(r.summary == "3 vLLM service(s) take HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE from the caller, off unless the run sets them (now HF_HUB_OFFLINE=0, TRANSFORMERS_OFFLINE=0)")
        // HF_HUB_OFFLINE=1 exported in the shell that runs check (and compose) forces offline
        // mode on every run from it: no pass (issue 29). A run that asks for offline mode
        // (--offline, bench --offline) is judged with it as asked.
        var shell = Self.shell
        shell["HF_HUB_OFFLINE"] = "1"
        let forced = try judge(tmp, root, shell: shell)
        #expect(forced.status == .fail, "\(forced.summary)")
        #expect(forced.summary.contains("; vllm_baseline: HF_HUB_OFFLINE=1 in this shell's environment, which compose passes to vllm_bridge/docker-compose.yml:2 HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-0} (HF_HUB_OFFLINE=1 now);"), "\(forced.summary)")
        let asked = RunbookFacts(options: .init(root: root, offline: true, runbookDefaults: true), processEnvironment: shell)
        let offlineRun = try #require(try runChecks(asked, only: ["offline.compose"])["offline.compose"]).result
        #expect(offlineRun.status == .pass, "\(offlineRun.summary)")
        #expect(offlineRun.evidence["shell"]?.hasPrefix("offline forced on by this shell, as this run asks: ") == true)
    }

    /// `- HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-0}` and the bare `- HF_HUB_OFFLINE` passed "now
    /// HF_HUB_OFFLINE=0" / "unset now" while the shell that runs check exported 1: compose
    /// (v1 and v2) takes the shell's value, over `.env`, and every run from that shell is
    /// offline. Fails now, naming the shell and the route, with the fix.
    @Test func aFlagExportedInTheShellForcesOfflineNow() throws {
        let compose = """
        services:
          vllm_list:
            image: vllm/vllm-openai
            environment:
              - HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-0}
              - TRANSFORMERS_OFFLINE=${TRANSFORMERS_OFFLINE:-0}
          vllm_bare:
            image: vllm/vllm-openai
            environment:
              - HF_HUB_OFFLINE
              - TRANSFORMERS_OFFLINE=${TRANSFORMERS_OFFLINE:-0}

        """
        let (tmp, root) = repo(compose)
        let before = try judge(tmp, root)
        #expect(before.status == .pass, "\(before.summary)")
        var shell = Self.shell
        shell["HF_HUB_OFFLINE"] = "1"
        let r = try judge(tmp, root, shell: shell)
        #expect(r.status == .fail, "\(r.summary)")
        #expect(r.summary.contains("vllm_list: HF_HUB_OFFLINE=1 in this shell's environment, which compose passes to vllm_bridge/docker-compose.yml:5 HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-0} (HF_HUB_OFFLINE=1 now)"), "\(r.summary)")
        #expect(r.summary.contains("vllm_bare: HF_HUB_OFFLINE=1 in this shell's environment, which compose passes to vllm_bridge/docker-compose.yml:10 HF_HUB_OFFLINE (HF_HUB_OFFLINE=1 now)"), "\(r.summary)")
        #expect(!r.summary.contains("TRANSFORMERS_OFFLINE=1"), "\(r.summary)")
        #expect(r.fix?.hasPrefix("unset HF_HUB_OFFLINE in the shell that runs compose") == true, "\(r.fix ?? "")")
        #expect(r.evidence["service.vllm_bare"]?.contains("HF_HUB_OFFLINE forced on now by this shell: HF_HUB_OFFLINE=1 in this shell's environment") == true)

        // What the real docker-compose v1 gives both services from that shell (`.env` says 0).
        tmp.write("repo/.env", (FileFacts.readSmall(root + "/.env", limit: 1 << 20) ?? "") + "\nHF_HUB_OFFLINE=0\n")
        let (found, _) = sh("command -v docker-compose")
        if found == 0 {
            let (rc, out) = sh("cd '\(root)' && env -i PATH=\"$PATH\" HOME=/nonexistent HF_HUB_OFFLINE=1 docker-compose -f vllm_bridge/docker-compose.yml --env-file .env config 2>&1")
            #expect(rc == 0, "\(out)")
            #expect(out.components(separatedBy: "HF_HUB_OFFLINE: '1'").count == 3, "\(out)")
            #expect(try judge(tmp, root, shell: shell).status == .fail)
        }
    }
}

/// The compose file of the runbook's repo (vllm_bridge/docker-compose.yml, seed 000 with its
/// step 1B anchor), as the tests and the corpus use it.
public enum RunbookCompose {
    /// common.env after the runbook's step A (offline flags removed).
    public static let commonEnv = "HF_HOME=/root/.cache/huggingface\nVLLM_LOGGING_LEVEL=INFO\n"

    /// The runbook's compose file after its step A (`make perf` times check on the same file).
    public static let text = try! String(contentsOfFile: fixture("compose-runbook-offline-toggle.yml"), encoding: .utf8)
}

/// Issue 29: the names of list items and the values of `.env` are interpolated as compose does,
/// with each compose version's dotenv rules; each case passed offline.compose before.
@Suite("offline.compose: interpolated names and .env values (issue 29)")
struct OfflineInterpolationTests {
    /// A PATH that finds the given compose CLI only: `v1` (a python docker-compose), `v2` (a
    /// docker CLI and the plugin in DOCKER_CONFIG), or none.
    static func shell(_ cli: String?, _ tmp: TempDir) -> [String: String] {
        var env = OfflineComposeRouteTests.shell
        let bin = tmp.path + "/bin"
        tmp.write("bin/.keep", "")
        env["PATH"] = bin
        env["DOCKER_CONFIG"] = tmp.path + "/docker-config"
        env["HOME"] = tmp.path
        if cli == "v1" { tmp.write("bin/docker-compose", "#!/usr/bin/python3\n"); _ = sh("chmod +x \(bin)/docker-compose") }
        if cli == "v2" {
            tmp.write("bin/docker", "#!/bin/sh\n"); tmp.write("docker-config/cli-plugins/docker-compose", "#!/bin/sh\n")
            _ = sh("chmod +x \(bin)/docker \(tmp.path)/docker-config/cli-plugins/docker-compose")
        }
        return env
    }

    func judge(_ corpusCase: String, cli: String?) throws -> CheckResult {
        let tmp = TempDir()
        let root = makeRunbook(tmp)
        let from = fixture("compose-corpus") + "/" + corpusCase
        _ = sh("cp -a '\(from)/.' '\(root)/vllm_bridge/' && mv '\(root)/vllm_bridge/.env' '\(root)/.env'")
        let context = RunbookFacts(options: .init(root: root, runbookDefaults: true), processEnvironment: Self.shell(cli, tmp))
        return try #require(try runChecks(context, only: ["offline.compose"])["offline.compose"]).result
    }

    @Test(arguments: ["v1", "v2", nil] as [String?])
    func namesBuiltByInterpolationForceOfflineMode(_ cli: String?) throws {
        let r = try judge("valid-offline-name-interpolated", cli: cli)
        #expect(r.status == .fail, "\(r.summary)")
        #expect(r.summary.contains("vllm_from_dotenv: HF_HUB_OFFLINE=1 from vllm_bridge/docker-compose.yml:5 ${FLAG}=1: FLAG=HF_HUB_OFFLINE from .env:1"), "\(r.summary)")
        #expect(r.summary.contains("vllm_from_default: HF_HUB_OFFLINE=1"), "\(r.summary)")
        #expect(r.summary.contains("vllm_empty_suffix: HF_HUB_OFFLINE=1"), "\(r.summary)")
        // A mapping key is not interpolated (both CLIs print `${FLAG}_KEY` as written).
        #expect(!r.summary.contains("vllm_mapping_key"), "\(r.summary)")
    }

    @Test(arguments: ["v1", "v2", nil] as [String?])
    func aDotEnvDefaultIsInterpolated(_ cli: String?) throws {
        let r = try judge("valid-offline-dotenv-default", cli: cli)
        #expect(r.status == .fail, "\(r.summary)")
        #expect(r.summary.contains("vllm_baseline: HF_HUB_OFFLINE=1 from"), "\(r.summary)")
        #expect(r.summary.contains("HF_HUB_OFFLINE=1 from .env:4 (${PROOF_RUN:-1} as "), "\(r.summary)")
    }

    /// Single quotes: v1 (python-dotenv) expands them, v2 keeps them as text; a lone CR ends a
    /// line for v1 only. With no CLI found, the worse reading (v1's) stands, and says so.
    @Test(arguments: [("valid-offline-dotenv-single-quote", "v1", CheckStatus.fail), ("valid-offline-dotenv-single-quote", "v2", .pass),
                      ("valid-offline-dotenv-single-quote", nil, .fail), ("valid-offline-dotenv-lone-cr", "v1", .fail),
                      ("valid-offline-dotenv-lone-cr", "v2", .pass), ("valid-offline-dotenv-lone-cr", nil, .fail),
                      ("valid-offline-dotenv-double-quote", "v2", .fail), ("valid-offline-dotenv-double-quote", "v1", .pass),
                      ("valid-offline-dotenv-double-quote", nil, .fail)] as [(String, String?, CheckStatus)])
    func whereTheReadingsDifferTheCLIsOrTheWorseCounts(_ name: String, _ cli: String?, _ expected: CheckStatus) throws {
        let r = try judge(name, cli: cli)
        #expect(r.status == expected, "\(name) \(cli ?? "no CLI"): \(r.summary)")
        let dotenv = r.evidence["dotenv"] ?? ""
        switch cli {
        case "v1": #expect(dotenv.contains("read as docker-compose v1 (python-dotenv 0.21) reads them (the compose CLI found here)"), "\(dotenv)")
        case "v2": #expect(dotenv.contains("read as compose v2 (compose-go) reads them (the compose CLI found here)"), "\(dotenv)")
        default:
            #expect(dotenv.hasPrefix("no compose CLI found: .env and env files read both ways; this verdict is"), "\(dotenv)")
        }
    }
}
