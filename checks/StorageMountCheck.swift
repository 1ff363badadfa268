import DoctorCore
import SystemProbes
import Runbook
import Basics

/// MODEL_FOLDER and HF_CACHE_FOLDER sit on the fast disk, not on the OS disk: the
/// runbook's HARD STOP (`findmnt -no SOURCE,TARGET /nvme` must not say /dev/root).
public struct StorageMountCheck: Check {
    public let id = "storage.mount"
    public let title = "model and cache folders are on the NVMe mount, not the OS disk"
    public let dependsOn = ["env.values"]
    /// Where the model's files are on the hosts this check judges (the profile decides).
    public let layout: RunbookLayout
    public init(layout: RunbookLayout = .folders) { self.layout = layout }

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        let table: MountTable
        switch context.mountTable {
        case .failure(let e): return .fail("\(e)", fix: "pass --mountinfo FILE (a copy of /proc/self/mountinfo)")
        case .success(let t): table = t
        }
        var evidence: Evidence = ["mount_table": table.path]
        if let root = table.rootMount { evidence["root_fs"] = "\(root.source) (\(root.devno)) type \(root.fstype)" }
        if layout == .modelVolume { return judgeVolume(context.modelVolume, context, evidence: evidence) }
        var worst = CheckStatus.pass
        var notes: [String] = []
        var fix: String?
        var onOSDisk: [(key: String, exists: Bool, mount: String)] = []
        var sharedOS: [(key: String, disk: SharedOSDisk)] = []
        let mountPoint = RunbookDefaults.mountPoint
        for (key, path) in context.storageFolders {
            guard let p = context.placement(of: path) else {
                worst = .fail; notes.append("\(key): no mount found for \(path)"); continue
            }
            evidence[key] = path
            evidence["\(key).mount"] = p.evidenceText
            let verdict = p.verdict(expectedDevice: context.options.device, expectedPrefix: context.options.expectedDevicePrefix)
            // Another partition (or a volume) of the OS disk shares its reads with the OS: as
            // meaningless as / itself, whatever its name or --device says.
            if verdict != .onRootDevice, let shared = context.sharedOSDisk(p) {
                worst = .fail
                evidence["\(key).disk"] = "\(shared.disk) (the OS disk, found by \(shared.basis))"
                sharedOS.append((key, shared))
                fix = osDiskFix(context)
                continue
            }
            switch verdict {
            case .onRootDevice:
                worst = .fail
                // A captured table is another host's: whether the folder exists there is unknown.
                onOSDisk.append((key, context.options.mountinfo != nil || FileFacts.exists(path), "\(p.mount.source) on \(p.mount.target)"))
                fix = osDiskFix(context)
            case .onExpectedDevice:
                notes.append("\(key) on \(p.mount.source)")
            case .wrongDevice(let expected):
                worst = .fail
                notes.append("\(key) is on \(p.mount.source), not on \(expected)")
                fix = RepairHint.mount(at: mountPoint, device: expected)
            case .otherBlockDevice:
                worst = max(worst, .warn)
                notes.append("\(key) is on \(p.mount.source), not an NVMe device (\(context.options.expectedDevicePrefix)*)")
            case .notBlockDevice:
                worst = max(worst, .warn)
                notes.append("\(key) is on \(p.mount.source) (\(p.mount.fstype)), not a local block device")
            }
        }
        if context.storageFolders.isEmpty { return .skip("no folders set") }
        if !onOSDisk.isEmpty {
            // One sentence for all folders on the OS disk, first: it is the runbook's hard stop.
            let keys = onOSDisk.map(\.key).joined(separator: " and ")
            let verb = onOSDisk.allSatisfy(\.exists) ? (onOSDisk.count > 1 ? "are" : "is")
                : onOSDisk.contains(where: \.exists) ? "are (some not created yet)" : "(not created yet) would be"
            notes.insert("\(keys) \(verb) on the OS disk (\(onOSDisk[0].mount)): results would be meaningless", at: 0)
        }
        if !sharedOS.isEmpty {
            // Folders on one device in one sentence: "MODEL_FOLDER and HF_CACHE_FOLDER are on …".
            var groups: [(keys: [String], disk: SharedOSDisk)] = []
            for (key, disk) in sharedOS {
                if let i = groups.firstIndex(where: { $0.disk == disk }) { groups[i].keys.append(key) } else { groups.append(([key], disk)) }
            }
            let text = groups.map { "\($0.keys.joined(separator: " and ")) \($0.keys.count > 1 ? "are" : "is") on \($0.disk)" }
            notes.insert(text.joined(separator: "; ") + ": results would be meaningless", at: onOSDisk.isEmpty ? 0 : 1)
        }
        return CheckResult(worst, notes.joined(separator: "; "), evidence: evidence, fix: fix)
    }

    /// Pre-baked: the model volume is a disk of its own mounted at MODEL_VOLUME, the whole of
    /// it (not a folder of another filesystem bound there, as a pod's hostPath shows a folder of
    /// the node's root disk), and not the OS disk.
    func judgeVolume(_ volume: String, _ context: RunbookFacts, evidence base: Evidence) -> CheckResult {
        var evidence = base
        evidence["MODEL_VOLUME"] = "\(volume) (\(context.modelVolumeFrom))"
        let attach = "attach the snapshot's data volume and mount it at \(volume) (the node class's block device mapping and boot mount, seed 002), or set MODEL_VOLUME to where it is mounted"
        guard let p = context.placement(of: volume) else {
            return .fail("no mount found for MODEL_VOLUME \(volume)", evidence: evidence, fix: attach)
        }
        evidence["MODEL_VOLUME.mount"] = p.evidenceText + (p.mount.root == "/" ? "" : " (subtree \(p.mount.root))")
        let verdict = p.verdict(expectedDevice: context.options.device, expectedPrefix: "/dev/")
        if verdict == .onRootDevice {
            return .fail("MODEL_VOLUME \(volume) is on the OS disk (\(p.mount.source) on \(p.mount.target)): the pre-baked volume is not mounted",
                         evidence: evidence, fix: attach)
        }
        if let shared = context.sharedOSDisk(p) {
            evidence["MODEL_VOLUME.disk"] = "\(shared.disk) (the OS disk, found by \(shared.basis))"
            return .fail("MODEL_VOLUME \(volume) is on \(shared): the pre-baked volume is not mounted",
                         evidence: evidence, fix: attach)
        }
        if p.mount.target != volume {
            return .fail("MODEL_VOLUME \(volume) is a folder on \(p.mount.source) (mounted on \(p.mount.target)), not a volume of its own: the pre-baked volume is not mounted",
                         evidence: evidence, fix: attach)
        }
        if p.mount.root != "/" {
            return .fail("MODEL_VOLUME \(volume) is the folder \(p.mount.root) of \(p.mount.source) bound here, not a volume of its own: the node's \(volume) is not the pre-baked volume",
                         evidence: evidence, fix: attach)
        }
        guard p.mount.isBlockDevice else {
            return .fail("MODEL_VOLUME \(volume) is \(p.mount.fstype) from \(p.mount.source), not a disk: the pre-baked volume is not mounted",
                         evidence: evidence, fix: attach)
        }
        if case .wrongDevice(let expected) = verdict {
            return .fail("MODEL_VOLUME \(volume) is on \(p.mount.source), not on \(expected)", evidence: evidence, fix: attach)
        }
        let readOnly = p.mount.options.split(separator: ",").contains("ro")
        return .pass("MODEL_VOLUME \(volume) is a volume of its own: \(p.mount.source) (\(p.mount.fstype)\(readOnly ? ", read-only" : ""))",
                     evidence: evidence)
    }

    /// The mount repair, naming the disk to use when the host has exactly one idle NVMe.
    func osDiskFix(_ context: RunbookFacts) -> String {
        let idle = idleNVMe(context)
        if idle.isEmpty, context.blockDevices != nil {
            return "no idle NVMe here (storage.devices): attach one, then \(RepairHint.mount(at: RunbookDefaults.mountPoint, device: "DEVICE"))"
        }
        return "\(RepairHint.mount(at: RunbookDefaults.mountPoint, device: idle.count == 1 ? idle[0].path : nil)) (then re-run check)"
    }

    /// NVMe disks (or partitions) with nothing mounted from them, the OS disk's own partitions left out.
    func idleNVMe(_ context: RunbookFacts) -> [BlockDevice] {
        let table = try? context.mountTable.get()
        let mounted = Set((table?.entries ?? []).map(\.devno))
        let osDisks = table?.rootMount.flatMap { context.diskLayout.disks(devno: $0.devno, source: $0.source)?.0.disks } ?? []
        return (context.blockDevices ?? []).filter { $0.isNVMe && !osDisks.contains($0.name) }
            .flatMap { d in d.partitions.isEmpty ? [d] : d.partitions }
            .filter { !mounted.contains($0.devno) }
    }
}
