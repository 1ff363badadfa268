import Foundation
import Testing
import TestSupport
@testable import DoctorCore
import Checks
@testable import SystemProbes
@testable import Runbook
import Basics

/// A captured host whose OS disk has more than one partition (and an LVM volume on it), beside
/// a second NVMe disk: a folder on another partition of the OS disk is on the OS disk.
struct PartitionedHost {
    let tmp = TempDir("parts")
    var sysBlock: String { tmp.path + "/sys/block" }

    init() {
        func disk(_ name: String, _ devno: String, partitions: [(String, String)] = [], slaves: [String] = []) {
            tmp.write("sys/block/\(name)/dev", devno + "\n")
            tmp.write("sys/block/\(name)/size", "1000000\n")
            for (p, d) in partitions {
                tmp.write("sys/block/\(name)/\(p)/dev", d + "\n")
                tmp.write("sys/block/\(name)/\(p)/size", "400000\n")
                tmp.write("sys/block/\(name)/\(p)/partition", "1\n")
            }
            // The kernel's slaves entries are links named after the device below; a name is all that is read.
            for s in slaves { tmp.write("sys/block/\(name)/slaves/\(s)", "") }
        }
        disk("vda", "253:0", partitions: [("vda1", "253:1"), ("vda2", "253:2")])
        disk("nvme0n1", "259:0", partitions: [("nvme0n1p1", "259:1"), ("nvme0n1p2", "259:2"), ("nvme0n1p3", "259:3")])
        disk("nvme1n1", "259:4")
        disk("dm-0", "252:0", slaves: ["nvme0n1p3"])
        disk("dm-1", "252:1", slaves: ["nvme1n1"])
    }

    /// A mount table with / on `root` (as `rootSource` names it) and `/data` on `data`.
    func mountinfo(root: (devno: String, source: String), data: (devno: String, source: String), name: String = "mountinfo") -> String {
        tmp.write(name, """
        22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
        28 1 \(root.devno) / / rw,relatime shared:1 - ext4 \(root.source) rw
        31 28 \(data.devno) / /data rw,relatime shared:19 - ext4 \(data.source) rw

        """)
    }

    /// storage.mount on the standard profile, folders under /data.
    func standard(_ mountinfo: String, sysBlock: String?, device: String? = nil) throws -> CheckReport {
        let repo = TempDir("repo")
        repo.write(".env", "MODEL_FOLDER=/data/models\nHF_CACHE_FOLDER=/data/hf\nMODEL_NAME=m/x\n")
        let context = RunbookFacts(options: .init(root: repo.path, mountinfo: mountinfo, device: device, sysBlock: sysBlock),
                                   processEnvironment: [:])
        return try #require(try runChecks(context, only: ["storage.mount"])["storage.mount"])
    }
}

@Suite("storage.mount: another partition of the OS disk")
struct OSDiskPartitionTests {
    let host = PartitionedHost()

    @Test func aSecondNVMePartitionOfTheOSDiskFails() throws {
        let table = host.mountinfo(root: ("259:1", "/dev/root"), data: ("259:2", "/dev/nvme0n1p2"))
        let r = try host.standard(table, sysBlock: host.sysBlock)
        #expect(r.result.status == .fail)
        #expect(r.result.summary == "MODEL_FOLDER and HF_CACHE_FOLDER are on /dev/nvme0n1p2, a second partition of the OS disk /dev/nvme0n1 (/ is on /dev/nvme0n1p1): results would be meaningless",
                "\(r.result.summary)")
        #expect(r.result.evidence["MODEL_FOLDER.disk"] == "/dev/nvme0n1 (the OS disk, found by /sys/block)")
        #expect(r.result.fix == "sudo sllm-doctor fix --mount /nvme --device /dev/nvme1n1 (then re-run check)", "\(r.result.fix ?? "")")
        // Naming the partition as the device to use does not make it another disk.
        let named = try host.standard(table, sysBlock: host.sysBlock, device: "/dev/nvme0n1p2")
        #expect(named.result.status == .fail)
    }

    @Test func aSecondVirtioPartitionOfTheOSDiskFails() throws {
        let table = host.mountinfo(root: ("253:1", "/dev/vda1"), data: ("253:2", "/dev/vda2"))
        let r = try host.standard(table, sysBlock: host.sysBlock)
        #expect(r.result.status == .fail)
        #expect(r.result.summary.hasPrefix("MODEL_FOLDER and HF_CACHE_FOLDER are on /dev/vda2, a second partition of the OS disk /dev/vda (/ is on /dev/vda1)"), "\(r.result.summary)")
    }

    @Test func anLVMVolumeOnTheOSDiskFailsAndOneOnAnotherDiskPasses() throws {
        let onOS = host.mountinfo(root: ("259:2", "/dev/nvme0n1p2"), data: ("252:0", "/dev/mapper/vg-models"))
        let r = try host.standard(onOS, sysBlock: host.sysBlock)
        #expect(r.result.status == .fail)
        #expect(r.result.summary.hasPrefix("MODEL_FOLDER and HF_CACHE_FOLDER are on /dev/mapper/vg-models, a volume on the OS disk /dev/nvme0n1 (/ is on /dev/nvme0n1p2)"), "\(r.result.summary)")
        let elsewhere = host.mountinfo(root: ("259:2", "/dev/nvme0n1p2"), data: ("252:1", "/dev/mapper/fast-models"), name: "mi2")
        let ok = try host.standard(elsewhere, sysBlock: host.sysBlock)
        #expect(ok.result.status != .fail, "\(ok.result.summary)")
        #expect(!ok.result.summary.contains("OS disk"))
    }

    @Test func anotherNVMeDiskStillPasses() throws {
        let table = host.mountinfo(root: ("259:1", "/dev/root"), data: ("259:4", "/dev/nvme1n1"))
        let r = try host.standard(table, sysBlock: host.sysBlock)
        #expect(r.result.status == .pass, "\(r.result.summary)")
        #expect(r.result.summary == "MODEL_FOLDER on /dev/nvme1n1; HF_CACHE_FOLDER on /dev/nvme1n1")
    }

    @Test func withoutSysBlockTheKernelNamesTellTheDisk() throws {
        let table = host.mountinfo(root: ("259:1", "/dev/nvme0n1p1"), data: ("259:2", "/dev/nvme0n1p2"))
        let r = try host.standard(table, sysBlock: nil)
        #expect(r.result.status == .fail)
        #expect(r.result.evidence["MODEL_FOLDER.disk"] == "/dev/nvme0n1 (the OS disk, found by its kernel name)")
        // /dev/root names no disk: without /sys/block nothing can be said, and nothing is made up.
        let unnamed = host.mountinfo(root: ("259:1", "/dev/root"), data: ("259:2", "/dev/nvme0n1p2"), name: "mi3")
        #expect(try host.standard(unnamed, sysBlock: nil).result.status == .pass)
    }

    @Test func thePrebakedVolumeOnASecondPartitionOfTheOSDiskFails() throws {
        let node = host.tmp.write("node", """
        28 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw
        40 28 259:2 / /mnt/models ro,relatime shared:2 - ext4 /dev/nvme0n1p2 rw

        """)
        let env = ["MODEL_NAME": "m/x", "HF_HOME": "/mnt/models/hf-cache", "HOME": "/root"]
        let context = RunbookFacts(options: .init(root: TempDir("pod").path, mountinfo: node, sysBlock: host.sysBlock,
                                                  runbookDefaults: false, layout: .modelVolume), processEnvironment: env)
        let r = try #require(try runChecks(context, profile: .prebaked, only: ["storage.mount"])["storage.mount"])
        #expect(r.result.status == .fail)
        #expect(r.result.summary == "MODEL_VOLUME /mnt/models is on /dev/nvme0n1p2, a second partition of the OS disk /dev/nvme0n1 (/ is on /dev/nvme0n1p1): the pre-baked volume is not mounted",
                "\(r.result.summary)")
    }

    @Test func theCommandLineNamesBothPartitionsAndTheDisk() throws {
        let table = host.mountinfo(root: ("259:1", "/dev/root"), data: ("259:2", "/dev/nvme0n1p2"))
        let repo = TempDir("repo")
        repo.write(".env", "MODEL_FOLDER=/data/models\nHF_CACHE_FOLDER=/data/hf\nMODEL_NAME=m/x\n")
        let r = doctor(["check", "--root", repo.path, "--only", "storage.mount", "--mountinfo", table, "--sys-block", host.sysBlock])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("[✗] storage.mount: MODEL_FOLDER and HF_CACHE_FOLDER are on /dev/nvme0n1p2, a second partition of the OS disk /dev/nvme0n1 (/ is on /dev/nvme0n1p1)"), "\(r.stdout)")
    }
}

@Suite("DiskLayout: the whole disks under a device")
struct DiskLayoutTests {
    @Test func kernelNamesGiveTheirDisk() {
        let cases: [(String, String?)] = [("sda1", "sda"), ("sda", "sda"), ("xvdba12", "xvdba"), ("vda2", "vda"),
                                          ("nvme0n1p2", "nvme0n1"), ("nvme10n3", "nvme10n3"), ("mmcblk0p1", "mmcblk0"),
                                          ("mmcblk0", "mmcblk0"), ("dm-0", nil), ("md0", nil), ("sd1", nil), ("nvme", nil)]
        for (name, disk) in cases { #expect(DiskLayout.diskByKernelName(name) == disk, "\(name)") }
    }

    @Test func aLoopOfSlavesInACapturedTreeEnds() {
        let a = BlockDevice(name: "dm-0", devno: "252:0", sizeBytes: 1, slaves: ["dm-1"])
        let b = BlockDevice(name: "dm-1", devno: "252:1", sizeBytes: 1, slaves: ["dm-0", "sdb"])
        let layout = DiskLayout([a, b])
        #expect(layout.disks(devno: "252:0", source: "/dev/mapper/x")?.0.disks == ["sdb"])
    }

    @Test func aLongChainIsWalkedOnce() {
        // 20,000 stacked volumes: linear, no recursion to overflow.
        let n = 20_000
        let chain = (0..<n).map { BlockDevice(name: "dm-\($0)", devno: "252:\($0)", sizeBytes: 1, slaves: [$0 + 1 < n ? "dm-\($0 + 1)" : "nvme0n1p2"]) }
        let disk = BlockDevice(name: "nvme0n1", devno: "259:0", sizeBytes: 1,
                               partitions: [BlockDevice(name: "nvme0n1p2", devno: "259:2", sizeBytes: 1)])
        let layout = DiskLayout(chain + [disk])
        #expect(layout.disks(devno: "252:0", source: "/dev/mapper/top")?.0.disks == ["nvme0n1"])
    }
}

@Suite("storage.devices: the OS disk is never the fast disk")
struct OSDiskDevicesTests {
    func devices(_ mountinfo: String, _ sysBlock: String) throws -> CheckResult {
        let context = RunbookFacts(options: .init(root: TempDir("repo").path, mountinfo: mountinfo, sysBlock: sysBlock,
                                                  udevData: TempDir("udev").path), processEnvironment: [:])
        return try #require(try runChecks(context, only: ["storage.devices"])["storage.devices"]).result
    }

    @Test func aRootNVMeIsNotTheMountedNVMeAndItsSparePartitionIsNoCandidate() throws {
        // AWS-style: the root volume is nvme0n1 itself.
        let tmp = TempDir("aws")
        tmp.write("sys/block/nvme0n1/dev", "259:0\n"); tmp.write("sys/block/nvme0n1/size", "209715200\n")
        let table = tmp.write("mi", "28 1 259:0 / / rw,relatime shared:1 - ext4 /dev/root rw\n")
        let aws = try devices(table, tmp.path + "/sys/block")
        #expect(aws.status == .warn, "\(aws.summary)")
        #expect(aws.summary == "no NVMe disk on this host besides the OS disk: /dev/nvme0n1 100.0 GiB NVMe, ext4, mounted on /")

        // A spare partition of the OS disk is not offered to be formatted as /nvme.
        let host = PartitionedHost()
        let parts = host.tmp.write("mi-os", "28 1 259:1 / / rw,relatime shared:1 - ext4 /dev/root rw\n31 28 259:4 / /nvme rw,relatime - ext4 /dev/nvme1n1 rw\n")
        let r = try devices(parts, host.sysBlock)
        #expect(r.status == .pass, "\(r.summary)")
        #expect(r.summary == "/dev/nvme1n1 (488.3 MiB) mounted on /nvme", "\(r.summary)")
        #expect(r.fix == nil)
    }
}
