import DoctorCore
import SystemProbes

/// MODEL_FOLDER and HF_CACHE_FOLDER sit on the fast disk, not on the OS disk: the
/// runbook's HARD STOP (`findmnt -no SOURCE,TARGET /nvme` must not say /dev/root).
public struct StorageMountCheck: Check {
    public let id = "storage.mount"
    public let title = "model and cache folders are on the NVMe mount, not the OS disk"
    public let area = CheckArea.storage
    public let dependsOn = ["env.values"]
    public init() {}

    public func run(_ context: CheckContext) throws -> CheckResult {
        let table: MountTable
        switch context.mountTable {
        case .failure(let e): return .fail("\(e)", fix: "pass --mountinfo FILE (a copy of /proc/self/mountinfo)")
        case .success(let t): table = t
        }
        var evidence: Evidence = ["mount_table": table.path]
        if let root = table.rootMount { evidence["root_fs"] = "\(root.source) (\(root.devno)) type \(root.fstype)" }
        var worst = CheckStatus.pass
        var notes: [String] = []
        var fix: String?
        let mountPoint = "/nvme"
        for (key, path) in context.storageFolders {
            guard let p = context.placement(of: path) else {
                worst = .fail; notes.append("\(key): no mount found for \(path)"); continue
            }
            evidence[key] = path
            evidence["\(key).mount"] = p.evidenceText
            switch p.verdict(expectedDevice: context.options.device, expectedPrefix: context.options.expectedDevicePrefix) {
            case .onRootDevice:
                worst = .fail
                notes.append("\(key) is on the OS disk (\(p.mount.source) on \(p.mount.target)): results would be meaningless")
                fix = "sudo sllm-doctor fix --mount \(mountPoint) (then re-run check)"
            case .onExpectedDevice:
                notes.append("\(key) on \(p.mount.source)")
            case .wrongDevice(let expected):
                worst = .fail
                notes.append("\(key) is on \(p.mount.source), not on \(expected)")
                fix = "sudo sllm-doctor fix --mount \(mountPoint) --device \(expected)"
            case .otherBlockDevice:
                worst = max(worst, .warn)
                notes.append("\(key) is on \(p.mount.source), not an NVMe device (\(context.options.expectedDevicePrefix)*)")
            case .notBlockDevice:
                worst = max(worst, .warn)
                notes.append("\(key) is on \(p.mount.source) (\(p.mount.fstype)), not a local block device")
            }
        }
        if context.storageFolders.isEmpty { return .skip("no folders set") }
        return CheckResult(worst, notes.joined(separator: "; "), evidence: evidence, fix: fix)
    }
}
