import Foundation
import Testing
import TestSupport
@testable import DoctorCore
import Checks
import SystemProbes
@testable import Runbook
import Basics

@Suite("checks on real trees")
struct CheckTests {
    func context(_ repo: String, mountinfo: String? = nil, device: String? = nil, offline: Bool = false,
                 env: [String: String] = ProcessInfo.processInfo.environment) -> RunbookFacts {
        RunbookFacts(options: .init(root: repo, mountinfo: mountinfo, device: device, offline: offline, runbookDefaults: true), processEnvironment: env)
    }

    @Test func noEnvJudgesTheHostWithTheRunbooksDefaults() throws {
        let tmp = TempDir()
        let r = try runChecks(context(tmp.path, mountinfo: fixture("mountinfo-this-host.txt")))
        #expect(r["env.file"]?.result.status == .warn)
        #expect(r["env.file"]?.result.summary.contains("judging this host with the runbook's defaults") == true)
        #expect(r["env.file"]?.result.evidence["default.MODEL_FOLDER"] == "/nvme/sllm-models")
        #expect(r["env.values"]?.result.status == .pass)
        // Host-level checks judge; the ones about the user's own files say why not, in one line.
        #expect(r["storage.mount"]?.result.status == .fail)
        #expect(r["storage.mount"]?.result.evidence["MODEL_FOLDER"] == "/nvme/sllm-models")
        #expect(r["runtime.ports"]?.result.status != .skip)
        #expect(r["runtime.ports"]?.result.evidence["VLLM_BASELINE_PORT"]?.hasPrefix("8001 ") == true)
        for id in ["secrets.env", "model.store", "model.hf-cache"] {
            #expect(r[id]?.result.status == .skip)
            #expect(r[id]?.result.summary.hasPrefix("no .env yet") == true, "\(id): \(r[id]?.result.summary ?? "")")
        }
        #expect(r.values.filter { $0.result.status == .warn && $0.area == .env }.count == 1)
    }

    @Test func aNamedEnvFileThatIsMissingStillFails() throws {
        let tmp = TempDir()
        let c = RunbookFacts(options: .init(root: tmp.path, envFile: tmp.path + "/nope.env", runbookDefaults: true))
        #expect(!c.usingRunbookDefaults)
        // fix and bench act on the user's own values only.
        #expect(!RunbookFacts(options: .init(root: tmp.path)).usingRunbookDefaults)
        let r = try runChecks(c)
        #expect(r["env.file"]?.result.status == .fail)
        #expect(r["env.values"]?.result.summary == "needs env.file, which failed")
    }

    @Test func envValuesValidatesTypesAndNamesLines() throws {
        let tmp = TempDir()
        tmp.write(".env", "MODEL_FOLDER=relative/x\nHF_CACHE_FOLDER=/c\nMODEL_NAME=not-a-repo\nVLLM_BASELINE_PORT=70000\nA_PORT=8001\nB_PORT=8001\nMEM_POOL_SIZE=lots\n")
        let r = try #require(try runChecks(context(tmp.path), only: ["env.values"])["env.values"])
        #expect(r.result.status == .fail)
        let s = r.result.summary
        #expect(s.contains("MODEL_NAME 'not-a-repo' at .env:3 is not ORG/NAME"))
        #expect(s.contains("VLLM_BASELINE_PORT '70000' at .env:4 is not a port"))
        #expect(s.contains("B_PORT and A_PORT both use port 8001"))
        #expect(s.contains("MEM_POOL_SIZE 'lots' at .env:7"))
        #expect(s.contains("MODEL_FOLDER 'relative/x' at .env:1 is not an absolute path"))
    }

    @Test func envFileWarnsOnDuplicatesAndReferences() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp, extraEnv: "HUGGINGFACE_HUB_TOKEN=${HF_TOKEN}\nMODEL_NAME=Qwen/Qwen3-0.6B\n")
        let r = try #require(try runChecks(context(repo), only: ["env.file"])["env.file"])
        #expect(r.result.status == .warn)
        #expect(r.result.summary.contains("MODEL_NAME set 2 times (lines 3, 9"))
        #expect(r.result.summary.contains("HUGGINGFACE_HUB_TOKEN (line 8) refers to $HF_TOKEN"))
    }

    @Test func badLineFailsWithFileAndLine() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp, extraEnv: "oops no equals\n")
        let r = try #require(try runChecks(context(repo), only: ["env.file"])["env.file"])
        #expect(r.result.status == .fail)
        #expect(r.result.summary.contains(".env:8: no '=' on this line"))
        #expect(r.result.fix == "rewrite line 8 as KEY=VALUE")
    }

    @Test func capturedAzureLayouts() throws {
        let tmp = TempDir()
        tmp.write("repo/.env", "MODEL_FOLDER=/nvme/sllm-models\nHF_CACHE_FOLDER=/nvme/hf-cache\nMODEL_NAME=meta-llama/Llama-3.1-8B-Instruct\n")
        let repo = tmp.path + "/repo"
        let good = try runChecks(context(repo, mountinfo: fixture("mountinfo-azure-nvme.txt")))
        #expect(good["storage.mount"]?.result.status == .pass)
        #expect(good["storage.mount"]?.result.evidence["MODEL_FOLDER.mount"] == "/dev/nvme0n1 on /nvme type ext4")
        #expect(good["storage.signature"]?.result.status == .skip) // captured table: needs --device

        let plain = try runChecks(context(repo, mountinfo: fixture("mountinfo-azure-plain-folder.txt")))
        let m = try #require(plain["storage.mount"])
        #expect(m.result.status == .fail)
        #expect(m.result.summary.contains("MODEL_FOLDER and HF_CACHE_FOLDER are on the OS disk (/dev/root on /)"))
        #expect(m.result.evidence["HF_CACHE_FOLDER.mount"] == "/dev/root on / type ext4")
        #expect(m.result.fix?.hasPrefix("sudo sllm-doctor fix --mount /nvme") == true)
    }

    @Test func storeUnderMntWarnsAndMntNvmeIsNotNVMeSafe() throws {
        let tmp = TempDir()
        tmp.write("repo/.env", "MODEL_FOLDER=/mnt/sllm-models\nHF_CACHE_FOLDER=/mnt/nvme/hf-cache\nMODEL_NAME=a/b\n")
        let r = try runChecks(context(tmp.path + "/repo", mountinfo: fixture("mountinfo-azure-mnt-nvme.txt")))
        let azure = try #require(r["storage.azure-temp"])
        #expect(azure.result.status == .warn)
        #expect(azure.result.summary.contains("MODEL_FOLDER is on the /mnt filesystem"))
        #expect(azure.result.summary.contains("HF_CACHE_FOLDER on its own mount /mnt/nvme"))
        // /dev/sdb1 is a block device, but not an NVMe: a warning, not the hard stop.
        #expect(r["storage.mount"]?.result.status == .warn)
        #expect(r["storage.mount"]?.result.summary.contains("MODEL_FOLDER is on /dev/sdb1, not an NVMe device") == true)
    }

    @Test func awsModelVolumeUnderMntIsFine() throws {
        let tmp = TempDir()
        tmp.write("repo/.env", "MODEL_FOLDER=/mnt/models/sllm\nHF_CACHE_FOLDER=/mnt/models/hf-cache\nMODEL_NAME=a/b\n")
        let r = try runChecks(context(tmp.path + "/repo", mountinfo: fixture("mountinfo-aws-models.txt")))
        #expect(r["storage.azure-temp"]?.result.status == .pass)
        #expect(r["storage.mount"]?.result.status == .pass)
    }

    @Test func liveHostFoldersOnTheRootDiskAreTheHardStop() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let table = try MountTable()
        let under = try #require(table.mount(containing: tmp.path))
        let r = try runChecks(context(repo))
        let status = try #require(r["storage.mount"]?.result.status)
        if under.target == "/" || under.devno == table.rootMount?.devno {
            #expect(status == .fail)
        } else {
            #expect(status != .fail)
        }
    }

    @Test func foldersCheckSeesMissingAndPresentFolders() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        #expect(try runChecks(context(repo), only: ["storage.folders"])["storage.folders"]?.result.status == .pass)
        try FileManager.default.removeItem(atPath: tmp.path + "/nvme/hf-cache")
        let r = try #require(try runChecks(context(repo), only: ["storage.folders"])["storage.folders"])
        #expect(r.result.status == .fail)
        #expect(r.result.summary.contains("HF_CACHE_FOLDER \(tmp.path)/nvme/hf-cache does not exist"))
        // /tmp is on this host's OS disk: the fix mounts the NVMe first.
        #expect(r.result.fix?.hasSuffix("sudo sllm-doctor fix --only folders") == true)
    }

    @Test func foldersCheckJudgesTheSudoUser() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        guard isRoot else { return }
        // As root via sudo for uid 4242: root-owned folders are not the user's.
        var env = ProcessInfo.processInfo.environment
        env["SUDO_UID"] = "4242"; env["SUDO_GID"] = "4242"; env["SUDO_USER"] = "someone"
        let r = try #require(try runChecks(context(repo, env: env), only: ["storage.folders"])["storage.folders"])
        #expect(r.result.status == .fail)
        #expect(r.result.summary.contains("not writable by someone"))
    }

    @Test(arguments: [
        ("complete", CheckStatus.pass),
        ("missing", .warn),
        ("empty-data", .fail),
        ("no-index", .fail),
        ("no-rank", .fail),
    ])
    func storeLayouts(_ layout: String, _ expected: CheckStatus) throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let models = tmp.path + "/nvme/sllm-models"
        let name = "meta-llama/Llama-3.1-8B-Instruct"
        switch layout {
        case "complete": makeStore(modelFolder: models, repo: name, ranks: 2)
        case "empty-data": makeStore(modelFolder: models, repo: name, emptyData: true)
        case "no-index": makeStore(modelFolder: models, repo: name, noIndex: true)
        case "no-rank": tmp.write("nvme/sllm-models/vllm/\(name)/config.json", "{}")
        default: break
        }
        let r = try #require(try runChecks(context(repo), only: ["model.store"])["model.store"])
        #expect(r.result.status == expected, "\(r.result.summary)")
        if expected == .fail { #expect(r.result.fix?.contains("store-cleanup") == true) }
    }

    @Test func hfCacheCompleteShardedAndDanglingLinks() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let name = "meta-llama/Llama-3.1-8B-Instruct"
        let hub = tmp.path + "/nvme/hf-cache/hub"
        // Cold cache: online → warn, offline → fail (crash-loop).
        #expect(try runChecks(context(repo), only: ["model.hf-cache"])["model.hf-cache"]?.result.status == .warn)
        let offline = try #require(try runChecks(context(repo, offline: true), only: ["model.hf-cache"])["model.hf-cache"])
        #expect(offline.result.status == .fail)
        #expect(offline.result.summary.contains("baseline will crash-loop"))

        let snap = makeHFCache(hub: hub, repo: name, shards: ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        let ok = try #require(try runChecks(context(repo, offline: true), only: ["model.hf-cache"])["model.hf-cache"])
        #expect(ok.result.status == .pass)
        #expect(ok.result.evidence["snapshot"] == snap)
        #expect(ok.result.summary.contains("pinned snapshot \(snap)"))

        // A shard whose blob is gone: the symlink dangles.
        let target = try #require(FileFacts.readLink(snap + "/model-00002-of-00002.safetensors"))
        try FileManager.default.removeItem(atPath: snap + "/" + target)
        let broken = try #require(try runChecks(context(repo, offline: true), only: ["model.hf-cache"])["model.hf-cache"])
        #expect(broken.result.status == .fail)
        #expect(broken.result.evidence["missing"] == "model-00002-of-00002.safetensors")
    }

    @Test func offlineForcedByCommonEnvMakesAColdCacheAFailure() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        var env = ProcessInfo.processInfo.environment
        env["HF_HUB_OFFLINE"] = nil; env["TRANSFORMERS_OFFLINE"] = nil
        tmp.write("repo/vllm_bridge/env/common.env", "VLLM_LOGGING_LEVEL=INFO\n# forced by someone last week\nTRANSFORMERS_OFFLINE=1\n")
        let c = context(repo, env: env)
        #expect(c.offline)
        let r = try #require(try runChecks(c, only: ["model.hf-cache"])["model.hf-cache"])
        #expect(r.result.status == .fail)
        #expect(r.result.summary.contains("cold cache while offline (vllm_bridge/env/common.env:3 TRANSFORMERS_OFFLINE=1, which every container reads): baseline will crash-loop"), "\(r.result.summary)")
        #expect(r.result.evidence["offline"]?.hasPrefix("yes: vllm_bridge/env/common.env:3") == true)
        #expect(r.result.fix?.contains("fix --only offline-flags") == true)

        // The flag off (0) is online: a cold cache only warns.
        tmp.write("repo/vllm_bridge/env/common.env", "TRANSFORMERS_OFFLINE=0\n")
        let online = try #require(try runChecks(context(repo, env: env), only: ["model.hf-cache"])["model.hf-cache"])
        #expect(online.result.status == .warn)
        #expect(online.result.evidence["offline"] == "no")
    }

    @Test func hfHubCacheTakesPrecedence() throws {
        let tmp = TempDir()
        let other = tmp.mkdir("elsewhere/hub")
        let repo = makeRunbook(tmp, extraEnv: "HF_HUB_CACHE=\(other)\n")
        makeHFCache(hub: other, repo: "meta-llama/Llama-3.1-8B-Instruct")
        let r = try #require(try runChecks(context(repo), only: ["model.hf-cache"])["model.hf-cache"])
        #expect(r.result.status == .pass)
        #expect(r.result.evidence["hub_dir_from"] == "HF_HUB_CACHE")
    }

    @Test func offlineFlagsInCommonEnvNameEachLine() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        tmp.write("repo/vllm_bridge/env/common.env", "# shared\nVLLM_LOGGING_LEVEL=INFO\nHF_HUB_OFFLINE=1\nTRANSFORMERS_OFFLINE=True\nOTHER=1\n")
        let r = try #require(try runChecks(context(repo), only: ["offline.common-env"])["offline.common-env"])
        #expect(r.result.status == .fail)
        #expect(r.result.summary.contains("vllm_bridge/env/common.env:3 HF_HUB_OFFLINE=1"))
        #expect(r.result.summary.contains("vllm_bridge/env/common.env:4 TRANSFORMERS_OFFLINE=True"))
        tmp.write("repo/vllm_bridge/env/common.env", "HF_HUB_OFFLINE=0\n")
        #expect(try runChecks(context(repo), only: ["offline.common-env"])["offline.common-env"]?.result.status == .pass)
    }

    @Test func composeAnchorsMergeKeysAndListStyle() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let anchored = """
        x-offline-env: &offline_env
          HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-0}
          TRANSFORMERS_OFFLINE: ${TRANSFORMERS_OFFLINE:-0}
        services:
          vllm_baseline:
            image: vllm/vllm-openai:v0.9.0
            environment:
              <<: *offline_env
              HF_HOME: /hf
          vllm_faststart:
            build: .
            environment: *offline_env
          sllm_store:
            image: serverlessllm/sllm-store
        """
        tmp.write("repo/vllm_bridge/docker-compose.yml", anchored)
        let ok = try #require(try runChecks(context(repo), only: ["offline.compose"])["offline.compose"])
        #expect(ok.result.status == .pass, "\(ok.result.summary)")

        let listStyle = """
        services:
          vllm_baseline:
            image: vllm/vllm-openai
            environment:
              - HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-0}
          vllm_faststart:
            image: vllm/vllm-openai
            environment:
              - HF_HUB_OFFLINE=1
              - TRANSFORMERS_OFFLINE=${TRANSFORMERS_OFFLINE:-0}
        """
        tmp.write("repo/vllm_bridge/docker-compose.yml", listStyle)
        let bad = try #require(try runChecks(context(repo), only: ["offline.compose"])["offline.compose"])
        #expect(bad.result.status == .fail)
        #expect(bad.result.summary.contains("vllm_faststart: HF_HUB_OFFLINE=1"))

        tmp.write("repo/vllm_bridge/docker-compose.yml", "services:\n  vllm_baseline:\n    image: vllm\n")
        #expect(try runChecks(context(repo), only: ["offline.compose"])["offline.compose"]?.result.status == .warn)

        tmp.write("repo/vllm_bridge/docker-compose.yml", "services: [unclosed\n")
        let broken = try #require(try runChecks(context(repo), only: ["offline.compose"])["offline.compose"])
        #expect(broken.result.status == .fail)
        #expect(broken.result.summary.contains("docker-compose.yml"))
    }

    @Test func busyPortFails() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        // The runbook's own port (reserved for this test), never a fixed one another test or run may hold.
        let port = try #require(try EnvFile.load(path: repo + "/.env").entries.first { $0.key == "VLLM_BASELINE_PORT" }?.value)
        let listener = try ChildProcess(["python3", "-c", "import socket,time;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('127.0.0.1',\(port)));s.listen();print('up',flush=True);time.sleep(60)"],
                                        environment: ProcessInfo.processInfo.environment)
        defer { listener.terminate(grace: 0.2) }
        let deadline = Date().addingTimeInterval(10)
        while listener.output.isEmpty && Date() < deadline { usleep(5000) }
        let r = try #require(try runChecks(context(repo), only: ["runtime.ports"])["runtime.ports"])
        #expect(r.result.status == .fail)
        #expect(r.result.summary.contains("VLLM_BASELINE_PORT=\(port)"))
    }

    @Test func gitTrackedEnvFailsWorldReadableWarns() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp, token: "hf_abcdefghijklmnopqrstuvwx")
        chmod(repo + "/.env", 0o644)
        let warn = try #require(try runChecks(context(repo), only: ["secrets.env"])["secrets.env"])
        #expect(warn.result.status == .warn)
        #expect(warn.result.fix == "chmod 600 \(repo)/.env")
        let (rc, out) = sh("cd \(repo) && git init -q . && git add .env")
        #expect(rc == 0, "\(out)")
        let fail = try #require(try runChecks(context(repo), only: ["secrets.env"])["secrets.env"])
        #expect(fail.result.status == .fail)
        #expect(fail.result.summary.contains("tracked by git"))
    }
}

/// A check that throws, one that hangs, and one that depends on the hanging one.
struct ThrowingCheck: Check {
    let id = "runtime.test-throws"; let title = "throws"
    struct Boom: Error {}
    func run(_ context: RunbookFacts) throws -> CheckResult { throw Boom() }
}
struct HangingCheck: Check {
    let id = "runtime.test-hangs"; let title = "hangs"
    func run(_ context: RunbookFacts) throws -> CheckResult { sleep(30); return .pass("late") }
}
struct AfterHangCheck: Check {
    let id = "runtime.test-after"; let title = "after"
    let dependsOn = ["runtime.test-hangs"]
    func run(_ context: RunbookFacts) throws -> CheckResult { .pass("ran") }
}
struct HangingBlockingCheck: Check {
    let id = "runtime.test-hangs-blocking"; let title = "hangs on a program"
    let mayBlock = true
    func run(_ context: RunbookFacts) throws -> CheckResult { sleep(30); return .pass("late") }
}
struct BlockingPassCheck: Check {
    let id = "runtime.test-blocking-pass"; let title = "waits a little on a program"
    let mayBlock = true
    func run(_ context: RunbookFacts) throws -> CheckResult { usleep(50_000); return .pass("answered") }
}
struct PassCheck: Check {
    let id = "runtime.test-pass"; let title = "pass"
    func run(_ context: RunbookFacts) throws -> CheckResult { .pass("ok") }
}

@Suite("runner")
struct RunnerTests {
    @Test func throwsAndTimeoutsBecomeFailuresOthersStillRun() throws {
        let tmp = TempDir()
        let ctx = RunbookFacts(options: .init(root: tmp.path, checkTimeout: 0.3))
        let started = Date()
        let reports = try CheckRunner<RunbookFacts>(checks: [ThrowingCheck(), HangingCheck(), AfterHangCheck(), PassCheck()], checkTimeout: ctx.options.checkTimeout).run(ctx)
        let byID = Dictionary(uniqueKeysWithValues: reports.map { ($0.id, $0.result) })
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(byID["runtime.test-throws"]?.status == .fail)
        #expect(byID["runtime.test-throws"]?.summary.contains("Boom") == true)
        #expect(byID["runtime.test-hangs"]?.summary == "timed out after 0.3 s")
        #expect(byID["runtime.test-after"]?.status == .skip)
        #expect(byID["runtime.test-pass"]?.status == .pass)
        #expect(reports.exitCode(strict: false) == .failed)
    }

    @Test func aStuckProgramCheckDoesNotTakeTheOnesQueuedBehindIt() throws {
        let tmp = TempDir()
        let ctx = RunbookFacts(options: .init(root: tmp.path, checkTimeout: 0.3))
        let started = Date()
        let reports = try CheckRunner<RunbookFacts>(checks: [HangingBlockingCheck(), BlockingPassCheck(), HangingCheck(), PassCheck()], checkTimeout: ctx.options.checkTimeout).run(ctx)
        let byID = Dictionary(uniqueKeysWithValues: reports.map { ($0.id, $0) })
        // The stuck one sleeps 30 s: a run that waited on it is over 30 s, not over a loaded 2.
        #expect(Date().timeIntervalSince(started) < 15)
        #expect(byID["runtime.test-hangs-blocking"]?.result.summary == "timed out after 0.3 s")
        #expect(byID["runtime.test-blocking-pass"]?.result.summary == "answered")
        #expect(byID["runtime.test-hangs"]?.result.summary == "timed out after 0.3 s")
        #expect(byID["runtime.test-pass"]?.result.status == .pass)
        // Durations are measured per check: the one that waited 50 ms says so.
        #expect((byID["runtime.test-blocking-pass"]?.durationMs ?? 0) >= 50)
        // The instant check's own time, not the run's: shorter than the one that timed out
        // at 0.3 s in the same run (an absolute 50 ms bound broke under load).
        #expect((byID["runtime.test-pass"]?.durationMs ?? 1) < (byID["runtime.test-hangs-blocking"]?.durationMs ?? 0))
    }

    @Test func theRunEndsWithItsLastReportNotWithTheWatchersClock() throws {
        // The watching thread sleeps until the next deadline; the last report must wake it.
        let tmp = TempDir()
        let ctx = RunbookFacts(options: .init(root: tmp.path, checkTimeout: 60))
        let started = Date()
        let reports = try CheckRunner<RunbookFacts>(checks: [BlockingPassCheck(), PassCheck(), ThrowingCheck()], checkTimeout: ctx.options.checkTimeout).run(ctx)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(reports.map(\.result.status) == [.pass, .pass, .fail])
    }

    @Test func ignoreTurnsFailuresIntoWarningsAndUnknownIDsAreUsageErrors() throws {
        let tmp = TempDir()
        let ctx = RunbookFacts(options: .init(root: tmp.path))
        let runner = CheckRunner<RunbookFacts>(checks: [ThrowingCheck(), PassCheck()], checkTimeout: ctx.options.checkTimeout)
        let reports = try runner.run(ctx, selection: Selection(ignore: ["runtime.test-throws"]))
        #expect(reports.first { $0.id == "runtime.test-throws" }?.result.status == .warn)
        #expect(reports.exitCode(strict: false) == .ok)
        #expect(reports.exitCode(strict: true) == .failed)
        #expect(throws: SelectionError.self) { try runner.run(ctx, selection: Selection(only: ["nope"])) }
        let onlyArea = try runner.run(ctx, selection: Selection(only: ["runtime"], skip: ["runtime.test-throws"]))
        #expect(onlyArea.map(\.id) == ["runtime.test-pass"])
    }
}
