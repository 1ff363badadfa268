import Foundation
import Testing
import TestSupport
@testable import DoctorCore
@testable import SystemProbes
@testable import Runbook
import Repair
import Basics

/// `fix --mount` refuses a device on the OS disk, as storage.mount fails a folder there: a
/// second partition, a volume built on one, the OS disk itself; judged on a captured /sys/block.
@Suite("fix --mount: no device on the OS disk (issue 29)")
struct MountOSDiskRefusalTests {
    let host = PartitionedHost()

    func refusal(_ device: String, devno: String? = nil, root: (devno: String, source: String) = ("259:1", "/dev/root")) throws -> String? {
        let table = try MountTable(path: host.mountinfo(root: root, data: ("259:4", "/dev/nvme1n1")))
        let layout = DiskLayout(BlockDevices.list(sysBlock: host.sysBlock))
        return MountPointPolicy.osDiskRefusal(device: device, devno: devno, table: table, layout: layout)
    }

    @Test func anotherPartitionOfTheOSDiskIsRefused() throws {
        #expect(try refusal("/dev/nvme0n1p2") == "--device /dev/nvme0n1p2 is another partition of the OS disk /dev/nvme0n1 (/ is on /dev/nvme0n1p1): the models need a disk of their own; name the idle NVMe with --device (sllm-doctor check -v lists the disks)")
        // Found by the node's devno as well as by its name (a /dev/disk/by-id link has no kernel name).
        #expect(try refusal("/dev/disk/by-id/nvme-part2", devno: "259:2")?.hasPrefix("--device /dev/disk/by-id/nvme-part2 is another partition of the OS disk /dev/nvme0n1") == true)
        #expect(try refusal("/dev/vda2", root: ("253:1", "/dev/vda1"))?.hasPrefix("--device /dev/vda2 is another partition of the OS disk /dev/vda (/ is on /dev/vda1)") == true)
    }

    @Test func aVolumeOnTheOSDiskAndTheDiskItselfAreRefused() throws {
        #expect(try refusal("/dev/mapper/vg-models", devno: "252:0")?.hasPrefix("--device /dev/mapper/vg-models is a volume on the OS disk /dev/nvme0n1") == true)
        #expect(try refusal("/dev/nvme0n1")?.hasPrefix("--device /dev/nvme0n1 is the OS disk itself") == true)
        #expect(try refusal("/dev/nvme0n1p1")?.hasPrefix("--device /dev/nvme0n1p1 is the device / is mounted from") == true)
    }

    @Test func anotherDiskAndAVolumeOnItAreAccepted() throws {
        #expect(try refusal("/dev/nvme1n1") == nil)
        #expect(try refusal("/dev/mapper/vg-fast", devno: "252:1") == nil)
        // A root that names no known device: nothing can be said, nothing is made up.
        #expect(try refusal("/dev/nvme0n1p2", root: ("0:31", "overlay")) == nil)
    }
}
