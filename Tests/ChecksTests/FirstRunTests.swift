import Foundation
import Testing
import TestSupport
@testable import DoctorCore
import Checks
@testable import SystemProbes
@testable import Runbook
@testable import Basics

/// A captured host: a cloud VM whose OS disk is sda, with Azure's temporary disk on /mnt and
/// two NVMe disks nobody has mounted yet; one blank, one carrying ext4 (known to udev only).
struct CapturedHost {
    let tmp = TempDir("host")
    var sysBlock: String { tmp.path + "/sys/block" }
    var udevData: String { tmp.path + "/run/udev/data" }
    var mountinfo: String { tmp.path + "/mountinfo" }

    init() {
        func disk(_ name: String, _ devno: String, sectors: UInt64, model: String? = nil, partitions: [(String, String, UInt64)] = []) {
            tmp.write("sys/block/\(name)/dev", devno + "\n")
            tmp.write("sys/block/\(name)/size", "\(sectors)\n")
            if let model { tmp.write("sys/block/\(name)/device/model", model + "\n") }
            for (p, d, s) in partitions {
                tmp.write("sys/block/\(name)/\(p)/dev", d + "\n")
                tmp.write("sys/block/\(name)/\(p)/size", "\(s)\n")
                tmp.write("sys/block/\(name)/\(p)/partition", "1\n")
            }
        }
        disk("sda", "8:0", sectors: 62_914_560, partitions: [("sda1", "8:1", 62_912_512)])
        disk("sdb", "8:16", sectors: 1_048_576_000, partitions: [("sdb1", "8:17", 1_048_573_952)])
        disk("nvme9n1", "259:0", sectors: 3_750_748_848, model: "Microsoft NVMe Direct Disk")
        disk("nvme9n2", "259:1", sectors: 3_750_748_848, model: "Microsoft NVMe Direct Disk")
        disk("loop0", "7:0", sectors: 131_072)      // never a data disk
        disk("zram0", "252:0", sectors: 0)
        // udev's records: the blank disk has no ID_FS_TYPE, the other one has ext4.
        tmp.write("run/udev/data/b259:0", "S:disk/by-id/nvme-Microsoft_NVMe_Direct_Disk_1\nE:ID_MODEL=Microsoft NVMe Direct Disk\nE:ID_SERIAL=1\nG:systemd\n")
        tmp.write("run/udev/data/b259:1", "E:ID_MODEL=Microsoft NVMe Direct Disk\nE:ID_FS_TYPE=ext4\nE:ID_FS_UUID=0b9c6c1e-58a0-4b5e-9f7e-3f1b2d4c5a6e\nE:ID_FS_USAGE=filesystem\n")
        tmp.write("mountinfo", """
        22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
        23 28 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw
        28 1 8:1 / / rw,relatime shared:1 - ext4 /dev/root rw,discard,errors=remount-ro
        31 28 8:17 / /mnt rw,relatime shared:19 - ext4 /dev/sdb1 rw

        """)
    }

    var args: [String] { ["--mountinfo", mountinfo, "--sys-block", sysBlock, "--udev-data", udevData] }
}

@Suite("first run: no .env, a captured host")
struct FirstRunTests {
    func checks(_ out: String) throws -> [String: [String: Any]] {
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let list = try #require(obj["checks"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: list.map { ($0["id"] as! String, $0) })
    }

    @Test func blockDevicesAreReadFromSysBlock() {
        let host = CapturedHost()
        let disks = BlockDevices.list(sysBlock: host.sysBlock)
        #expect(disks.map(\.name) == ["nvme9n1", "nvme9n2", "sda", "sdb"])
        let nvme = disks[0]
        #expect(nvme.devno == "259:0" && nvme.sizeBytes == 3_750_748_848 * 512 && nvme.isNVMe && nvme.partitions.isEmpty)
        #expect(nvme.model == "Microsoft NVMe Direct Disk")
        #expect(disks[2].partitions.map(\.devno) == ["8:1"])
    }

    @Test func aFreshHostIsJudgedWithTheDefaultsAndTheIdleNVMeComesFirst() throws {
        let host = CapturedHost()
        let repo = TempDir("repo")
        let r = doctor(["check", "--root", repo.path, "--json"] + host.args)
        #expect(r.status == 1, "\(r.stderr)")
        let c = try checks(r.stdout)
        #expect(c["env.file"]?["status"] as? String == "warn")

        let devices = try #require(c["storage.devices"])
        #expect(devices["status"] as? String == "warn")
        #expect(devices["summary"] as? String == "an unmounted 1.7 TiB NVMe is present: /dev/nvme9n1, no filesystem (+1 more unmounted NVMe)", "\(devices)")
        #expect(devices["fix"] as? String == "sudo sllm-doctor fix --mount /nvme --device /dev/nvme9n1 --format")
        let ev = try #require(devices["evidence"] as? [String: String])
        #expect(ev["device.sda1"] == "/dev/sda1 30.0 GiB, ext4, mounted on /")
        #expect(ev["device.sdb1"] == "/dev/sdb1 500.0 GiB, ext4, mounted on /mnt")
        #expect(ev["device.nvme9n2"] == "/dev/nvme9n2 1.7 TiB NVMe, ext4, not mounted [udev database]")
        #expect(ev["device.loop0"] == nil && ev["device.zram0"] == nil)

        // The folders /nvme would hold: on the OS disk today, with both idle NVMe disks named.
        let mount = try #require(c["storage.mount"])
        #expect(mount["status"] as? String == "fail")
        #expect((mount["summary"] as? String)?.hasPrefix("MODEL_FOLDER and HF_CACHE_FOLDER are on the OS disk (/dev/root on /): results would be meaningless") == true, "\(mount)")
        #expect(mount["fix"] as? String == "sudo sllm-doctor fix --mount /nvme (then re-run check)")   // two idle NVMe: the user picks
        #expect(c["runtime.ports"]?["status"] as? String != "skip")
        #expect(c["model.hf-cache"]?["status"] as? String == "skip")
    }

    @Test func theHumanReportListsTheDefaultsUnderVerbose() {
        let host = CapturedHost()
        let repo = TempDir("repo")
        let r = doctor(["check", "--root", repo.path, "-v"] + host.args)
        #expect(r.stdout.contains("no .env at \(repo.path)/.env: judging this host with the runbook's defaults"))
        #expect(r.stdout.contains("default.MODEL_NAME: meta-llama/Llama-3.1-8B-Instruct"), "\(r.stdout)")
        #expect(r.stdout.contains("an unmounted 1.7 TiB NVMe is present"))
    }

    @Test func aMissingNamedEnvFileIsAUsageError() {
        let repo = TempDir("repo")
        let r = doctor(["check", "--root", repo.path, "--env-file", repo.path + "/prod.env"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--env-file \(repo.path)/prod.env: no such file"))
    }

    @Test func aDeviceThisUserCannotOpenIsReadFromUdev() throws {
        let host = CapturedHost()
        let repo = TempDir("repo")
        let r = doctor(["check", "--root", repo.path, "--only", "storage.signature", "--device", "/dev/nvme9n2", "--json"] + host.args)
        let sig = try #require(try checks(r.stdout)["storage.signature"])
        #expect(sig["status"] as? String == "pass", "\(sig)")
        #expect(sig["summary"] as? String == "/dev/nvme9n2: ext4 UUID=0b9c6c1e-58a0-4b5e-9f7e-3f1b2d4c5a6e (from the udev database)")
        let ev = try #require(sig["evidence"] as? [String: String])
        #expect(ev["source"] == "udev database")
        #expect(ev["device_error"]?.contains("/dev/nvme9n2") == true)

        // No udev record and no blkid cache: skipped, saying what was tried.
        let none = doctor(["check", "--root", repo.path, "--only", "storage.signature", "--device", "/dev/nvme9n7", "--json",
                           "--mountinfo", host.mountinfo, "--sys-block", host.sysBlock, "--udev-data", host.udevData])
        let s2 = try #require(try checks(none.stdout)["storage.signature"])
        #expect(s2["status"] as? String == "fail")   // a device the user named and nobody can read
        #expect((s2["summary"] as? String)?.contains("cannot probe /dev/nvme9n7") == true)
    }

    @Test func libblkidsCacheAnswersWhenUdevHasNoRecord() {
        let tmp = TempDir()
        let cache = tmp.write("blkid.tab", """
        <device DEVNO="0x10300" TIME="1732450000.1" LABEL="models" UUID="a1b2" BLOCK_SIZE="4096" TYPE="xfs">/dev/nvme9n3</device>
        <device DEVNO="0x0801" TIME="1732450000.2" PTTYPE="gpt">/dev/sdzz</device>

        """)
        let r = DeviceSignature.read(device: "/dev/nvme9n3", devno: "259:3", udevData: tmp.path + "/none", blkidCache: cache)
        #expect(r.signature == .filesystem(type: "xfs", uuid: "a1b2", label: "models"))
        #expect(r.source == .blkidCache)
        #expect(DeviceSignature.read(device: "/dev/sdzz", devno: nil, udevData: tmp.path, blkidCache: cache).signature == .partitionTable(type: "gpt"))
        #expect(DeviceSignature.read(device: "/dev/nvme9n4", devno: nil, udevData: tmp.path, blkidCache: cache).source == nil)
    }
}
