import DoctorCore
import SystemProbes
import Runbook
import Basics

/// Nothing lives on Azure's temporary resource disk (`/mnt`, wiped on redeploy). Its
/// `DATALOSS_WARNING_README.txt` is the precise signal; `/mnt` alone is a hint.
public struct StorageAzureCheck: Check {
    public let id = "storage.azure-temp"
    public let title = "store and cache are not on Azure's temporary disk (/mnt)"
    public let dependsOn = ["env.values"]
    /// Where the model's files are on the hosts this check judges (the profile decides).
    public let layout: RunbookLayout
    public init(layout: RunbookLayout = .folders) { self.layout = layout }

    static let marker = "DATALOSS_WARNING_README.txt"

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        var worst = CheckStatus.pass
        var notes: [String] = []
        var evidence = Evidence()
        let live = context.options.mountinfo == nil
        let tempDiskMarked = live && FileFacts.exists("/mnt/\(Self.marker)")
        if live { evidence["/mnt/\(Self.marker)"] = tempDiskMarked ? "present" : "absent" }
        for (key, path) in context.storageFolders {
            guard FileFacts.isWithin(path, "/mnt") else { continue }
            let placement = context.placement(of: path)
            let target = placement?.mount.target ?? "?"
            evidence[key] = "\(path) (mount \(target), source \(placement?.mount.source ?? "?"))"
            if target == "/mnt" {
                // On the /mnt filesystem itself.
                if layout == .modelVolume {
                    // A pre-baked volume mounts below /mnt, never as /mnt: on /mnt itself the
                    // model sits on whatever the image put there, on Azure the temporary disk.
                    worst = .fail
                    notes.append("\(key) is a folder on the /mnt filesystem (\(placement?.mount.source ?? "?")), not the pre-baked volume\(tempDiskMarked ? ": Azure's temporary resource disk (/mnt has \(Self.marker)), wiped on redeploy" : "; on Azure that is the temporary resource disk, wiped on redeploy")")
                } else if tempDiskMarked {
                    worst = .fail
                    notes.append("\(key) is on Azure's temporary resource disk (/mnt has \(Self.marker)): wiped on redeploy")
                } else {
                    worst = max(worst, .warn)
                    notes.append("\(key) is on the /mnt filesystem, often Azure's temporary disk")
                }
            } else if FileFacts.isWithin(target, "/mnt") {
                // A separate mount below /mnt (/mnt/nvme, or AWS's legitimate /mnt/models).
                if tempDiskMarked {
                    worst = max(worst, .warn)
                    notes.append("\(key) is on \(target), a mount point inside the temporary disk's /mnt: it can vanish when /mnt is reset")
                } else {
                    notes.append("\(key) on its own mount \(target)")
                }
            } else {
                worst = max(worst, .warn)
                notes.append("\(key) is under /mnt")
            }
        }
        if notes.isEmpty { return .pass("no folder under /mnt", evidence: evidence) }
        if layout == .modelVolume {
            return CheckResult(worst, notes.joined(separator: "; "), evidence: evidence,
                               fix: worst == .pass ? nil : "mount the pre-baked volume at its own mount point (MODEL_VOLUME), not on the temporary disk's /mnt")
        }
        let fix = worst == .pass ? nil : "mount the NVMe at \(RunbookDefaults.mountPoint) (\(RepairHint.mount())) and point MODEL_FOLDER/HF_CACHE_FOLDER there"
        return CheckResult(worst, notes.joined(separator: "; "), evidence: evidence, fix: fix)
    }
}
