import Foundation
import Testing
import TestSupport
@testable import Repair
@testable import DoctorCore
@testable import SystemProbes
@testable import Runbook
@testable import Basics

@Suite("fix: real loop devices", .enabled(if: geteuid() == 0, "needs root for losetup and mount (run make test as root)"))
struct FixLoopDeviceTests {
    func runbook(_ disk: LoopDisk) -> (repo: String, mount: String) {
        let mount = disk.tmp.path + "/nvme"
        disk.tmp.write("repo/.env", "MODEL_FOLDER=\(mount)/sllm-models\nHF_CACHE_FOLDER=\(mount)/hf-cache\nMODEL_NAME=Qwen/Qwen3-0.6B\n", mode: 0o600)
        return (disk.tmp.path + "/repo", mount)
    }

    @Test func formatsOnlyWithFormatYesThenMountsVerifiesAndIsIdempotent() throws {
        let disk = try LoopDisk()
        let (repo, mount) = runbook(disk)
        disk.mountPoints.append(mount)
        // Without --format: refused, nothing written to the disk.
        let refused = doctor(["fix", "--root", repo, "--mount", mount, "--device", disk.device, "--yes"])
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("is unformatted: re-run with --format"))
        #expect(BlockProbe.probe(disk.device) == .none)
        // Without a terminal and without --yes: not confirmed, still unformatted.
        let unconfirmed = doctor(["fix", "--root", repo, "--mount", mount, "--device", disk.device, "--format"])
        #expect(unconfirmed.status == 1)
        #expect(BlockProbe.probe(disk.device) == .none)

        let applied = doctor(["fix", "--root", repo, "--mount", mount, "--device", disk.device, "--format", "--yes"])
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(applied.stdout.contains("formatted \(disk.device) as ext4"))
        #expect(applied.stdout.contains("re-check [✓] storage.mount"))
        #expect(applied.stdout.contains("re-check [✓] storage.folders"))
        let m = try #require(try MountTable().entries.last { $0.target == mount })
        #expect(m.source == disk.device)
        #expect(FileFacts.facts(mount + "/hf-cache").isDirectory)

        let again = doctor(["fix", "--root", repo, "--mount", mount, "--device", disk.device, "--format", "--yes"])
        #expect(again.status == 0)
        #expect(again.stdout.contains("Nothing to do."))
        let check = doctor(["check", "--root", repo, "--device", disk.device, "--only", "storage", "--json"])
        #expect(check.status == 0, "\(check.stdout)")
        #expect(check.stdout.contains("\(disk.device) on \(mount) type ext4"))
    }

    @Test func existingExt4IsNeverReformatted() throws {
        let disk = try LoopDisk(format: true)
        let (repo, mount) = runbook(disk)
        disk.mountPoints.append(mount)
        guard case .filesystem(_, let before?, _) = BlockProbe.probe(disk.device) else { Issue.record("no ext4"); return }
        let r = doctor(["fix", "--root", repo, "--mount", mount, "--device", disk.device, "--format", "--yes"])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(!r.stdout.contains("mkfs"))
        guard case .filesystem(_, let after?, _) = BlockProbe.probe(disk.device) else { Issue.record("lost ext4"); return }
        #expect(before == after)
    }

    @Test func mountedDeviceIsRefused() throws {
        let disk = try LoopDisk(format: true)
        let elsewhere = disk.tmp.mkdir("elsewhere")
        try MountOps.mount(source: disk.device, target: elsewhere, fstype: "ext4")
        disk.mountPoints.append(elsewhere)
        let (repo, mount) = runbook(disk)
        let r = doctor(["fix", "--root", repo, "--mount", mount, "--device", disk.device, "--format", "--yes"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("already mounted on \(elsewhere): refusing"))
    }

    @Test func persistAddsOneFstabLineByUUID() throws {
        let disk = try LoopDisk(format: true)
        let (repo, mount) = runbook(disk)
        disk.mountPoints.append(mount)
        let fstab = disk.tmp.write("fstab", "# existing\n/dev/vda / ext4 defaults 0 1\n")
        for _ in 0..<2 {
            let r = doctor(["fix", "--root", repo, "--mount", mount, "--device", disk.device, "--persist", "--fstab", fstab])
            #expect(r.status == 0, "\(r.stdout)")
        }
        let text = try String(contentsOfFile: fstab, encoding: .utf8)
        guard case .filesystem(_, let uuid?, _) = BlockProbe.probe(disk.device) else { Issue.record("no uuid"); return }
        #expect(text.components(separatedBy: "UUID=\(uuid) \(mount) ext4 defaults,nofail 0 2").count == 2)
        #expect(text.hasPrefix("# existing\n/dev/vda / ext4 defaults 0 1\n"))
        #expect(try String(contentsOfFile: fstab + ".bak", encoding: .utf8) == "# existing\n/dev/vda / ext4 defaults 0 1\n")
    }
}

@Suite("fix: file edits")
struct FixEditTests {
    /// check judges a host without a .env by the runbook's defaults; fix must not act on them
    /// (it would create /nvme/sllm-models on whatever disk / is). Dry run: harmless if broken.
    @Test func fixNeverActsOnTheRunbooksDefaults() {
        let tmp = TempDir()
        let r = doctor(["fix", "--root", tmp.path, "--only", "folders", "--dry-run"])
        #expect(r.stdout.contains("folders: not applicable"), "\(r.stdout)")
        #expect(!r.stdout.contains("/nvme/sllm-models"))
    }

    struct CommonEnvCase: Sendable, CustomTestStringConvertible {
        var name: String; var before: String; var after: String
        var testDescription: String { name }
    }
    static let commonEnvCases: [CommonEnvCase] = [
        .init(name: "runbook lines", before: "# shared\nVLLM_LOGGING_LEVEL=INFO\nHF_HUB_OFFLINE=1\nTRANSFORMERS_OFFLINE=1\n",
              after: "# shared\nVLLM_LOGGING_LEVEL=INFO\n"),
        .init(name: "CRLF and spacing kept", before: "A=1\r\nexport HF_HUB_OFFLINE=yes\r\n  B = 2 # c\r\n",
              after: "A=1\r\n  B = 2 # c\r\n"),
        .init(name: "falsy kept", before: "HF_HUB_OFFLINE=0\nTRANSFORMERS_OFFLINE=TRUE\nLAST=x", after: "HF_HUB_OFFLINE=0\nLAST=x"),
    ]

    @Test(arguments: commonEnvCases)
    func commonEnvEdit(_ c: CommonEnvCase) throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let path = tmp.write("repo/vllm_bridge/env/common.env", c.before)
        let ctx = RunbookFacts(options: .init(root: repo))
        let action = OfflineFlagsAction()
        guard case .change = try action.plan(ctx, FixOptions()) else { Issue.record("expected a change"); return }
        _ = try action.apply(ctx, FixOptions())
        #expect(try String(contentsOfFile: path, encoding: .utf8) == c.after)
        #expect(try String(contentsOfFile: path + ".bak", encoding: .utf8) == c.before)
        guard case .nothingToDo = try action.plan(ctx, FixOptions()) else { Issue.record("second run should do nothing"); return }
    }

    static let mappingCompose = """
    # Bench stack (comment kept)
    services:
      vllm_baseline:
        image: vllm/vllm-openai:v0.9.0   # pinned
        profiles: ["baseline"]
        environment:
          HF_HOME: /hf
          HF_HUB_OFFLINE: 1
        ports:
          - "8001:8000"

      vllm_faststart:
        build: .
        command: ["--load-format", "serverless_llm"]

      sllm_store:
        image: serverlessllm/sllm-store
        environment:
          STORAGE_PATH: /models
    """

    static let listCompose = """
    x-shared: &shared
      A: b
    services:
      vllm_baseline:
        image: vllm/vllm-openai
        environment:
          - HF_HOME=/hf
          # offline is set per run
          - "TRANSFORMERS_OFFLINE=1"
      convert_model:
        image: sllm/convert
        environment: *shared
    """

    @Test(arguments: [("mapping", mappingCompose), ("list", listCompose)])
    func composeToggle(_ style: String, _ text: String) throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let path = tmp.write("repo/vllm_bridge/docker-compose.yml", text)
        let ctx = RunbookFacts(options: .init(root: repo))
        #expect(try runChecks(ctx, only: ["offline.compose"])["offline.compose"]?.result.status != .pass)
        let action = ComposeToggleAction()
        let planned = try action.plan(ctx, FixOptions())
        guard case .change = planned else { Issue.record("expected a change, got \(planned)"); return }
        _ = try action.apply(ctx, FixOptions())
        let edited = try String(contentsOfFile: path, encoding: .utf8)
        #expect(try runChecks(ctx, only: ["offline.compose"])["offline.compose"]?.result.status == .pass, "\(edited)")
        #expect(try String(contentsOfFile: path + ".bak", encoding: .utf8) == text)
        // Every original line that was not a flag survives unchanged, comments included.
        let kept = text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.isEmpty && !$0.contains("OFFLINE") && !$0.contains("environment: *shared") }
        for line in kept { #expect(edited.contains(line), "lost line: \(line)") }
        if style == "mapping" {
            #expect(edited.contains("x-offline-env: &offline_env"))
            #expect(edited.contains("      HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-0}"))
            #expect(edited.contains("    environment:\n      <<: *offline_env"))
        } else {
            #expect(edited.contains("      - TRANSFORMERS_OFFLINE=${TRANSFORMERS_OFFLINE:-0}"))
            #expect(edited.contains("      - HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-0}"))
            #expect(edited.contains("<<: [*shared, *offline_env]"))
        }
        guard case .nothingToDo = try action.plan(ctx, FixOptions()) else { Issue.record("second run should do nothing"); return }
    }

    @Test func flowStyleIsRefusedNotMangled() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        tmp.write("repo/vllm_bridge/docker-compose.yml", "services:\n  vllm_x:\n    image: vllm\n    environment: {A: b}\n")
        guard case .refuse(let why) = try ComposeToggleAction().plan(RunbookFacts(options: .init(root: repo)), FixOptions()) else {
            Issue.record("expected refusal"); return
        }
        #expect(why.contains("flow-style"))
    }

    @Test func dryRunChangesNothing() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        tmp.write("repo/vllm_bridge/env/common.env", "HF_HUB_OFFLINE=1\n")
        tmp.write("repo/vllm_bridge/docker-compose.yml", Self.mappingCompose)
        makeStore(modelFolder: tmp.path + "/nvme/sllm-models", repo: "meta-llama/Llama-3.1-8B-Instruct", emptyData: true)
        try FileManager.default.removeItem(atPath: tmp.path + "/nvme/hf-cache")
        let before = sha256OfTree(tmp.path)
        let r = doctor(["fix", "--root", repo, "--dry-run", "--yes"])
        #expect(r.stdout.contains("Plan (dry run: nothing will change)"))
        #expect(r.stdout.contains("offline-flags (repairs offline.common-env)"))
        #expect(r.stdout.contains("store-cleanup (repairs model.store)"))
        #expect(sha256OfTree(tmp.path) == before)
        #expect(!FileFacts.exists(tmp.path + "/nvme/hf-cache"))
    }

    @Test func storeCleanupOnlyWhenIncompleteAndInsideModelFolder() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let models = tmp.path + "/nvme/sllm-models"
        let name = "meta-llama/Llama-3.1-8B-Instruct"
        makeStore(modelFolder: models, repo: name)
        let r1 = doctor(["fix", "--root", repo, "--only", "store-cleanup", "--yes"])
        #expect(r1.stdout.contains("nothing to do"))
        #expect(FileFacts.exists(models + "/vllm/" + name + "/rank_0/tensor.data_0"))
        makeStore(modelFolder: models, repo: name, emptyData: true)
        let r2 = doctor(["fix", "--root", repo, "--only", "store-cleanup", "--yes"])
        #expect(r2.status == 0, "\(r2.stdout)")
        #expect(!FileFacts.exists(models + "/vllm/" + name))
        #expect(FileFacts.exists(models + "/vllm/meta-llama"))
        // A MODEL_NAME that climbs out of MODEL_FOLDER is refused.
        let evil = tmp.mkdir("victim")
        tmp.write("victim/config.json", "{}")
        tmp.write("repo/.env", "MODEL_FOLDER=\(models)\nHF_CACHE_FOLDER=\(tmp.path)/nvme/hf-cache\nMODEL_NAME=../../victim\n")
        let ctx = RunbookFacts(options: .init(root: repo))
        if case .change = try StoreCleanupAction().plan(ctx, FixOptions()) { Issue.record("should refuse") }
        #expect(FileFacts.exists(evil + "/config.json"))
    }

    @Test func foldersCreatedForTheSudoUser() throws {
        guard geteuid() == 0 else { return }
        let tmp = TempDir()
        tmp.write("repo/.env", "MODEL_FOLDER=\(tmp.path)/d/m\nHF_CACHE_FOLDER=\(tmp.path)/d/h\nMODEL_NAME=a/b\n")
        let r = doctor(["fix", "--root", tmp.path + "/repo", "--only", "folders"], env: ["SUDO_UID": "4242", "SUDO_GID": "4343", "SUDO_USER": "bench"])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(FileFacts.facts(tmp.path + "/d/m").ownerUID == 4242)
        #expect(FileFacts.facts(tmp.path + "/d").ownerUID == 4242)
        #expect(FileFacts.facts(tmp.path + "/d/h").groupGID == 4343)
    }
}

@Suite("fix: refusals that protect the user", .enabled(if: geteuid() == 0, "needs root for losetup (run make test as root)"))
struct FixRefusalTests {
    @Test func aMountPointHoldingFilesIsRefusedUnlessAllowed() throws {
        let disk = try LoopDisk(format: true)
        let mount = disk.tmp.mkdir("nvme")
        disk.tmp.write("nvme/precious.txt", "data that a mount would hide\n")
        disk.tmp.write("repo/.env", "MODEL_FOLDER=\(mount)/sllm-models\nHF_CACHE_FOLDER=\(mount)/hf-cache\nMODEL_NAME=Qwen/Qwen3-0.6B\n", mode: 0o600)
        disk.mountPoints.append(mount)
        let repo = disk.tmp.path + "/repo"
        let r = doctor(["fix", "--root", repo, "--mount", mount, "--device", disk.device, "--yes"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("already holds 1 entry (precious.txt): mounting would hide them"))
        // The folders are not created on the disk below the refused mount either.
        #expect(r.stdout.contains("folders: refused"))
        #expect(!FileFacts.exists(mount + "/hf-cache"))
        #expect(try MountTable().entries.last { $0.target == mount } == nil)
        let allowed = doctor(["fix", "--root", repo, "--mount", mount, "--device", disk.device, "--yes", "--allow-nonempty-mountpoint"])
        #expect(allowed.status == 0, "\(allowed.stdout)")
        #expect(try MountTable().entries.last { $0.target == mount }?.source == disk.device)
    }

    @Test func aPlainFileIsNotADevice() throws {
        let tmp = TempDir()
        let image = tmp.bytes("disk.img", count: 1 << 20)
        let r = doctor(["fix", "--root", tmp.path, "--mount", tmp.path + "/nvme", "--device", image, "--format", "--yes"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("is not a block device"))
        #expect(BlockProbe.probe(image) == .none)
    }
}

/// The same binary run as `nobody` (setpriv), the way a user without sudo meets it.
@Suite("non-root truths", .enabled(if: geteuid() == 0 && ChildProcess.resolve("setpriv") != nil, "needs root and setpriv to become another user"))
struct NonRootTests {
    func asNobody(_ args: [String]) -> CommandOutput {
        let out = sh("setpriv --reuid=65534 --regid=65534 --clear-groups \(doctorBinary) " + args.map { "'\($0)'" }.joined(separator: " ") + " 2>/tmp/nonroot-err-$$; echo \"rc=$?\"; cat /tmp/nonroot-err-$$ >&2; rm -f /tmp/nonroot-err-$$")
        let status = Int32(out.1.components(separatedBy: "rc=").last?.split(separator: "\n").first ?? "") ?? -1
        return CommandOutput(status: status, stdout: out.1, stderr: out.1, timedOut: false)
    }

    @Test func anUnreadableEnvIsNotAMissingOne() throws {
        let tmp = TempDir()
        chmod(tmp.path, 0o755)
        let repo = makeRunbook(tmp)   // .env is root's, mode 600
        chmod(repo, 0o755)
        let check = asNobody(["check", "--root", repo, "--only", "env.file"])
        #expect(check.status == 1)
        #expect(check.stdout.contains("permission denied"), "\(check.stdout)")
        #expect(!check.stdout.contains("create it"))
        let fix = asNobody(["fix", "--root", repo])
        #expect(fix.status == 1, "\(fix.stdout)")
        #expect(fix.stdout.contains("env: refused: cannot read"))
        #expect(!fix.stdout.contains("Nothing to do"))
    }

    @Test func anExplicitDeviceThatCannotBeProbedFailsWithSudo() throws {
        let disk = try LoopDisk(format: true)
        chmod(disk.tmp.path, 0o755)
        let repo = makeRunbook(disk.tmp)
        chmod(repo, 0o755)
        chmod(repo + "/.env", 0o644)
        let r = asNobody(["check", "--root", repo, "--device", disk.device, "--only", "storage.signature"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("cannot probe \(disk.device)"), "\(r.stdout)")
        #expect(r.stdout.contains("sudo sllm-doctor check --device \(disk.device)"), "\(r.stdout)")
    }
}
