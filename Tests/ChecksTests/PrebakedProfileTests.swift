import Foundation
import Testing
import TestSupport
@testable import DoctorCore
import Checks
import SystemProbes
@testable import Runbook
import Basics

/// `check --profile prebaked`: the catalogue's own checks, judging a Kubernetes node whose model
/// arrives on a volume made from a snapshot (seed 002).
@Suite("check --profile prebaked")
struct PrebakedProfileTests {
    static let repo = "mistralai/Mistral-7B-Instruct-v0.3"

    /// A pod's view: no .env, settings in the environment, a captured host mount table.
    func run(mountinfo: String? = nil, env: [String: String], root: String? = nil, only: [String] = []) throws -> [String: CheckReport] {
        let tmp = TempDir("pod")
        let context = RunbookFacts(options: .init(root: root ?? tmp.path, mountinfo: mountinfo, runbookDefaults: false,
                                                  layout: CheckProfile.prebaked.layout),
                                   processEnvironment: env)
        return try runChecks(context, profile: .prebaked, only: only)
    }

    let podEnv = ["MODEL_NAME": repo, "HF_HOME": "/mnt/models/hf-cache", "HOME": "/root"]

    func status(_ r: [String: CheckReport], _ id: String) -> CheckStatus? { r[id]?.result.status }
    func summary(_ r: [String: CheckReport], _ id: String) -> String { r[id]?.result.summary ?? "" }

    @Test func awsVolumeOfItsOwnPasses() throws {
        let r = try run(mountinfo: fixture("mountinfo-aws-models.txt"), env: podEnv)
        #expect(status(r, "env.file") == .pass, "\(summary(r, "env.file"))")
        #expect(summary(r, "env.file") == "no .env: a pre-baked node takes its settings from the pod's environment")
        #expect(status(r, "env.values") == .pass, "\(summary(r, "env.values"))")
        #expect(summary(r, "storage.mount") == "MODEL_VOLUME /mnt/models is a volume of its own: /dev/nvme1n1 (ext4)")
        #expect(status(r, "storage.mount") == .pass)
        #expect(r["storage.mount"]?.result.evidence["MODEL_VOLUME"] == "/mnt/models (default /mnt/models)")
        #expect(status(r, "storage.azure-temp") == .pass)
    }

    @Test func azureTemporaryDiskFails() throws {
        let r = try run(mountinfo: fixture("mountinfo-azure-plain-folder.txt"), env: podEnv)
        #expect(status(r, "storage.mount") == .fail)
        #expect(summary(r, "storage.mount") == "MODEL_VOLUME /mnt/models is a folder on /dev/sdb1 (mounted on /mnt), not a volume of its own: the pre-baked volume is not mounted")
        #expect(status(r, "storage.azure-temp") == .fail)
        #expect(summary(r, "storage.azure-temp").contains("on Azure that is the temporary resource disk"))
        // The standard profile only warns there (a folder under /mnt may be fine for a bench host).
        let bench = TempDir("bench")
        bench.write(".env", "MODEL_FOLDER=/mnt/models\nHF_CACHE_FOLDER=/mnt/hf\nMODEL_NAME=\(Self.repo)\n")
        let standard = try runChecks(RunbookFacts(options: .init(root: bench.path, mountinfo: fixture("mountinfo-azure-plain-folder.txt")),
                                                  processEnvironment: [:]),
                                     only: ["storage.azure-temp"])
        #expect(standard["storage.azure-temp"]?.result.status == .warn)
    }

    @Test func theRootDiskAndAFolderBoundFromItFail() throws {
        let tmp = TempDir("mi")
        // The node's own table: /mnt/models is only a folder of the root disk.
        let node = tmp.write("node", "28 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw\n")
        let r = try run(mountinfo: node, env: podEnv)
        #expect(summary(r, "storage.mount") == "MODEL_VOLUME /mnt/models is on the OS disk (/dev/nvme0n1p1 on /): the pre-baked volume is not mounted")
        // The pod's table: hostPath binds that folder of the node's root disk at /mnt/models.
        let pod = tmp.write("pod", """
        1510 1402 0:310 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/containerd/l1,upperdir=/var/lib/containerd/u1,workdir=/var/lib/containerd/w1
        1530 1510 259:1 /mnt/models /mnt/models ro,relatime - ext4 /dev/nvme0n1p1 rw

        """)
        let p = try run(mountinfo: pod, env: podEnv)
        #expect(status(p, "storage.mount") == .fail)
        #expect(summary(p, "storage.mount") == "MODEL_VOLUME /mnt/models is the folder /mnt/models of /dev/nvme0n1p1 bound here, not a volume of its own: the node's /mnt/models is not the pre-baked volume")
        // The volume itself bound into the pod, read-only: fine.
        let good = tmp.write("good", """
        1510 1402 0:310 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/containerd/l1,upperdir=/var/lib/containerd/u1,workdir=/var/lib/containerd/w1
        1531 1510 259:3 / /mnt/models ro,relatime - ext4 /dev/nvme1n1 rw

        """)
        let g = try run(mountinfo: good, env: podEnv)
        #expect(summary(g, "storage.mount") == "MODEL_VOLUME /mnt/models is a volume of its own: /dev/nvme1n1 (ext4, read-only)")
    }

    @Test func hfHomeMustPointIntoTheVolume() throws {
        var env = podEnv
        env["HF_HOME"] = "/root/.cache/huggingface"
        let r = try run(mountinfo: fixture("mountinfo-aws-models.txt"), env: env, only: ["model.hf-cache"])
        #expect(status(r, "model.hf-cache") == .fail)
        #expect(summary(r, "model.hf-cache").hasPrefix("HF cache /root/.cache/huggingface/hub (HF_HOME/hub) is not on the model volume /mnt/models"))
        env["HF_HOME"] = nil
        let unset = try run(mountinfo: fixture("mountinfo-aws-models.txt"), env: env, only: ["model.hf-cache"])
        #expect(summary(unset, "model.hf-cache").hasPrefix("HF cache /root/.cache/huggingface/hub (default ~/.cache/huggingface/hub) is not on the model volume"))
    }

    @Test func thePinnedSnapshotMustBeCompleteEvenOnline() throws {
        let volume = TempDir("vol")
        var env = podEnv
        env["MODEL_VOLUME"] = volume.path
        env["HF_HOME"] = volume.path + "/hf-cache"
        let snapshot = makeHFCache(hub: volume.path + "/hf-cache/hub", repo: Self.repo, shards: ["a.safetensors", "b.safetensors"])
        let ok = try run(env: env, only: ["model.hf-cache", "storage.folders"])
        #expect(status(ok, "model.hf-cache") == .pass, "\(summary(ok, "model.hf-cache"))")
        #expect(summary(ok, "model.hf-cache") == "3 files present; pinned snapshot \(snapshot)")
        #expect(status(ok, "storage.folders") == .pass)
        try FileManager.default.removeItem(atPath: snapshot + "/b.safetensors")
        let broken = try run(env: env, only: ["model.hf-cache"])
        // No offline flag anywhere: the standard profile would only warn; a pre-baked node must never download.
        #expect(status(broken, "model.hf-cache") == .fail)
        #expect(summary(broken, "model.hf-cache") == "the model volume's cache is incomplete (missing in snapshot: b.safetensors): every pod on this node would download it at start")
    }

    @Test func offlineFlagsOnAreRightHere() throws {
        var env = podEnv
        env["HF_HUB_OFFLINE"] = "1"
        let on = try run(env: env, only: ["offline.common-env"])
        #expect(status(on, "offline.common-env") == .pass)
        #expect(summary(on, "offline.common-env") == "HF_HUB_OFFLINE=1 in the environment: right for a pre-baked node, which must never download")
        let off = try run(env: podEnv, only: ["offline.common-env"])
        #expect(status(off, "offline.common-env") == .warn)
        // A common.env that forces offline: the standard profile's failure is this profile's pass.
        let root = TempDir("root")
        root.write("vllm_bridge/env/common.env", "HF_HUB_OFFLINE=1\n")
        let forced = try run(env: podEnv, root: root.path, only: ["offline.common-env"])
        #expect(status(forced, "offline.common-env") == .pass, "\(summary(forced, "offline.common-env"))")
        let standard = try runChecks(RunbookFacts(options: .init(root: root.path), processEnvironment: [:]), only: ["offline.common-env"])
        #expect(standard["offline.common-env"]?.result.status == .fail)
    }

    @Test func modelNameIsRequired() throws {
        var env = podEnv
        env["MODEL_NAME"] = nil
        let r = try run(mountinfo: fixture("mountinfo-aws-models.txt"), env: env)
        #expect(status(r, "env.values") == .fail)
        #expect(summary(r, "env.values") == "MODEL_NAME is not set in the pod's environment")
        #expect(status(r, "storage.mount") == .skip)
    }

    @Test(.enabled(if: geteuid() == 0, "needs root for losetup and mount"))
    func aReadOnlyVolumeIsFine() throws {
        let disk = try LoopDisk(format: true)
        // Inside the disk's own temp folder: unmounted (deinit) before that folder is removed.
        let volume = disk.tmp.mkdir("models")
        let (rc, out) = sh("mount -o ro \(disk.device) \(volume)")
        try #require(rc == 0, "\(out)")
        disk.mountPoints.append(volume)
        let r = try run(env: ["MODEL_NAME": Self.repo, "MODEL_VOLUME": volume, "HF_HOME": volume + "/hf-cache"],
                        only: ["storage.mount", "storage.folders"])
        #expect(summary(r, "storage.mount") == "MODEL_VOLUME \(volume) is a volume of its own: \(disk.device) (ext4, read-only)")
        #expect(status(r, "storage.folders") == .pass, "\(summary(r, "storage.folders"))")
        #expect(r["storage.folders"]?.result.evidence["MODEL_VOLUME.writable"] == "no (read-only is fine here)")
    }
}

/// A pod's working folder is `/`: paths under it are shown whole (once lost their first letter).
@Suite("check from the root folder")
struct RootFolderDisplayTests {
    @Test func pathsUnderSlashKeepTheirFirstLetter() {
        let context = RunbookFacts(options: .init(root: "/"), processEnvironment: [:])
        #expect(context.display("/vllm_bridge/docker-compose.yml") == "vllm_bridge/docker-compose.yml")
        #expect(RunbookFacts(options: .init(root: "/srv/bench"), processEnvironment: [:]).display("/srv/bench/.env") == ".env")
    }
}
