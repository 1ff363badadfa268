import DoctorCore
import SystemProbes
#if canImport(Glibc)
import Glibc
#endif

/// The disk holds a filesystem (libblkid): the runbook's `file -s /dev/nvme0n1` step.
public struct StorageSignatureCheck: Check {
    public let id = "storage.signature"
    public let title = "the NVMe device holds a filesystem"
    public let area = CheckArea.storage
    public let dependsOn = ["env.values"]
    public init() {}

    public func run(_ context: CheckContext) throws -> CheckResult {
        guard let (device, from) = context.deviceToProbe else {
            return .skip(context.options.mountinfo == nil
                ? "no block device behind the folders (pass --device to probe one)"
                : "mount table is captured from another host: pass --device to probe a device here")
        }
        var evidence: Evidence = ["device": device, "device_from": from]
        switch BlockProbe.probe(device) {
        case .cannotProbe(let reason):
            // A device the user named is a question they asked: not answering it is a failure.
            if from == "--device" {
                return .fail("cannot probe \(device): \(reason)", evidence: evidence,
                             fix: geteuid() == 0 ? "check that \(device) is a block device (lsblk)" : "sudo sllm-doctor check --device \(device)")
            }
            return .skip("cannot probe \(device): \(reason)", evidence: evidence)
        case .none:
            return .fail("\(device) is unformatted (no filesystem signature): needs mkfs", evidence: evidence,
                         fix: "sudo sllm-doctor fix --mount /nvme --device \(device) --format")
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
                return .pass("\(device): \(type)\(uuid.map { " UUID=\($0)" } ?? "")", evidence: evidence)
            }
            return .warn("\(device) holds \(type), not ext4/xfs", evidence: evidence)
        }
    }
}
