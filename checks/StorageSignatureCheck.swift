import DoctorCore
import SystemProbes
#if canImport(Glibc)
import Glibc
import Runbook
import Basics
#endif

/// The disk holds a filesystem (libblkid): the runbook's `file -s /dev/nvme0n1` step.
public struct StorageSignatureCheck: Check {
    public let id = "storage.signature"
    public let title = "the NVMe device holds a filesystem"
    public let dependsOn = ["env.values"]
    public init() {}

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        guard let (device, from) = context.deviceToProbe else {
            return .skip(context.options.mountinfo == nil
                ? "no block device behind the folders (pass --device to probe one)"
                : "mount table is captured from another host: pass --device to probe a device here")
        }
        var evidence: Evidence = ["device": device, "device_from": from]
        if from != "--device", let folder = context.storageFolders.first, let p = context.placement(of: folder.path),
           p.verdict(expectedDevice: nil, expectedPrefix: context.options.expectedDevicePrefix) == .onRootDevice {
            return .skip("the folders are on the OS disk (\(device)): see storage.mount and storage.devices", evidence: evidence)
        }
        let reading = DeviceSignature.read(device: device, devno: Self.devno(of: device, context),
                                           udevData: context.options.udevData ?? DeviceSignature.liveUdevData)
        if let source = reading.source { evidence["source"] = source.rawValue }
        if reading.source != .libblkid, let why = reading.deviceError { evidence["device_error"] = why }
        switch reading.signature {
        case .cannotProbe(let reason):
            // A device the user named is a question they asked: not answering it is a failure.
            if from == "--device" {
                return .fail("cannot probe \(device): \(reason)", evidence: evidence,
                             fix: geteuid() == 0 ? "check that \(device) is a block device (lsblk)" : "sudo sllm-doctor check --device \(device)")
            }
            return .skip("cannot probe \(device): \(reason); no udev record or libblkid cache entry for it either", evidence: evidence)
        case .none:
            return .fail("\(device) is unformatted (no filesystem signature): needs mkfs", evidence: evidence,
                         fix: RepairHint.mount(device: device, format: true))
        case .ambivalent:
            return .warn("\(device) carries conflicting signatures (libblkid will not choose)", evidence: evidence,
                         fix: "inspect with `sudo wipefs \(device)` before using it")
        case .partitionTable(let type):
            evidence["partition_table"] = type
            return .warn("\(device) has a \(type) partition table: mount one of its partitions", evidence: evidence)
        case .filesystem(let type, let uuid, let label):
            evidence["type"] = type
            if let uuid { evidence["uuid"] = uuid }
            if let label { evidence["label"] = label }
            if ["ext4", "xfs"].contains(type) {
                return .pass("\(device): \(type)\(uuid.map { " UUID=\($0)" } ?? "")\(reading.source == .libblkid ? "" : " (from the \(reading.source!.rawValue))")", evidence: evidence)
            }
            return .warn("\(device) holds \(type), not ext4/xfs", evidence: evidence)
        }
    }

    /// "major:minor" of a device: from the mount table when it is mounted, else /sys/block, else stat(2).
    static func devno(of device: String, _ context: RunbookFacts) -> String? {
        if let m = (try? context.mountTable.get())?.entries.last(where: { Placement.sameDevice($0.source, device) }) { return m.devno }
        if let d = (context.blockDevices ?? []).flatMap(\.all).first(where: { $0.path == device }) { return d.devno }
        return BlockDevices.devno(ofNode: device)
    }
}
