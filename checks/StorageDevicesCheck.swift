import DoctorCore
import SystemProbes
import Runbook
import Basics

/// The disks this host has (/sys/block), what they carry and where they are mounted: the
/// runbook's `lsblk` + `file -s` + `findmnt` before step 1. Needs no `.env`, so even a first
/// run says "an unmounted 1.9 TB NVMe is present" and how to use it.
public struct StorageDevicesCheck: Check {
    public let id = "storage.devices"
    public let title = "an NVMe disk is present and mounted"
    /// Where the model's files are on the hosts this check judges (the profile decides).
    public let layout: RunbookLayout
    public init(layout: RunbookLayout = .folders) { self.layout = layout }

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        guard let disks = context.blockDevices else {
            return .skip("mount table is captured from another host: pass --sys-block (a copy of its /sys/block) to list its disks")
        }
        let table = try? context.mountTable.get()
        let mounts = table?.entries ?? []
        // The disk / lives on (an NVMe on most clouds) is never the fast disk, nor is a spare
        // partition of it.
        let osDisks = table?.rootMount.flatMap { context.diskLayout.disks(devno: $0.devno, source: $0.source)?.0.disks } ?? []
        var evidence = Evidence()
        var described: [String] = []
        var unmountedNVMe: [(BlockDevice, SignatureReading)] = []
        var mountedNVMe: [(BlockDevice, MountEntry)] = []
        for disk in disks {
            for dev in disk.all {
                // A disk whose partitions carry the data says nothing itself: describe the partitions.
                if dev == disk && !disk.partitions.isEmpty {
                    evidence["device.\(dev.name)"] = "\(formatBytes(dev.sizeBytes)), \(disk.partitions.count) partition(s)\(dev.isNVMe ? ", NVMe" : "")"
                    continue
                }
                let onOSDisk = osDisks.contains(disk.name)
                let head = "\(dev.path) \(formatBytes(dev.sizeBytes))\(dev.isNVMe ? " NVMe" : "")"
                // Mounted: the kernel already says what it holds. Only idle devices are probed.
                if let mount = mounts.last(where: { $0.devno == dev.devno && $0.isBlockDevice }) {
                    let text = "\(head), \(mount.fstype), mounted on \(mount.target)"
                    evidence["device.\(dev.name)"] = text
                    described.append(text)
                    if dev.isNVMe && !onOSDisk { mountedNVMe.append((dev, mount)) }
                    continue
                }
                let reading = DeviceSignature.read(device: dev.path, devno: dev.devno,
                                                   udevData: context.options.udevData ?? DeviceSignature.liveUdevData)
                let text = "\(head), \(Self.describe(reading)), not mounted"
                evidence["device.\(dev.name)"] = text + (reading.source.map { " [\($0.rawValue)]" } ?? "")
                described.append(text)
                if dev.isNVMe && !onOSDisk { unmountedNVMe.append((dev, reading)) }
            }
        }
        if described.isEmpty {
            return .warn("no disks listed under \(context.options.sysBlock ?? BlockDevices.livePath)", evidence: evidence)
        }
        // A pre-baked node's disk is judged by storage.mount (MODEL_VOLUME): an idle NVMe is no
        // fault there, the list is what this check adds.
        if layout == .modelVolume {
            return .pass(described.joined(separator: "; "), evidence: evidence)
        }
        // An NVMe nobody uses is the first thing to say: it is where the runbook wants /nvme.
        if let (dev, reading) = unmountedNVMe.first {
            let format: String
            switch reading.signature {
            case .none: format = " --format"
            case .cannotProbe: format = " (add --format if it has no filesystem)"
            default: format = ""
            }
            let more = unmountedNVMe.count > 1 ? " (+\(unmountedNVMe.count - 1) more unmounted NVMe)" : ""
            return .warn("an unmounted \(formatBytes(dev.sizeBytes)) NVMe is present: \(dev.path), \(Self.describe(reading))\(more)",
                         evidence: evidence, fix: RepairHint.mount(device: dev.path) + format)
        }
        if let (dev, mount) = mountedNVMe.first {
            return .pass("\(dev.path) (\(formatBytes(dev.sizeBytes))) mounted on \(mount.target)"
                         + (mountedNVMe.count > 1 ? " (+\(mountedNVMe.count - 1) more NVMe)" : ""), evidence: evidence)
        }
        let none = disks.contains { $0.isNVMe } ? "no NVMe disk on this host besides the OS disk" : "no NVMe disk on this host"
        return .warn("\(none): \(described.joined(separator: "; "))", evidence: evidence,
                     fix: "use a host with a local NVMe, or point --device at the fast disk you have")
    }

    static func describe(_ r: SignatureReading) -> String {
        switch r.signature {
        case .filesystem(let type, _, _): return type
        case .partitionTable(let t): return "\(t) partition table"
        case .none: return "no filesystem"
        case .ambivalent: return "conflicting signatures"
        case .cannotProbe: return "filesystem unknown (no access: sudo, or udev's database)"
        }
    }
}
