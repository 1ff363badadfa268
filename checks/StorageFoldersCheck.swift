import DoctorCore
import SystemProbes
import Runbook
import Basics

/// The runbook's `mkdir -p` + `chown`: folders exist, are folders, belong to the person
/// running the benchmark (SUDO_USER when run with sudo) and have room for the model.
public struct StorageFoldersCheck: Check {
    public let id = "storage.folders"
    public let title = "MODEL_FOLDER and HF_CACHE_FOLDER exist, are writable, have room"
    public let dependsOn = ["env.values"]
    /// Where the model's files are on the hosts this check judges (the profile decides).
    public let layout: RunbookLayout
    public init(layout: RunbookLayout = .folders) { self.layout = layout }

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        if layout == .modelVolume { return prebaked(context) }
        var worst = CheckStatus.pass
        var mountFirst = false
        var notes: [String] = []
        var evidence: Evidence = ["user": "\(context.user.name) (uid \(context.user.uid)\(context.user.viaSudo ? ", via sudo" : ""))"]
        let modelBytes = Self.knownModelBytes(context)
        if let modelBytes { evidence["model_size"] = formatBytes(modelBytes) }
        for (key, path) in context.storageFolders {
            // Both forms when they differ: `..` after a link lands beside the link's target.
            if let written = context.variable(key), written != path { evidence["\(key).as_written"] = written }
            let f = FileFacts.facts(path)
            guard f.exists else {
                worst = .fail
                // Created now, it would land on the OS disk: the mount comes first.
                if context.placement(of: path)?.verdict(expectedDevice: nil, expectedPrefix: context.options.expectedDevicePrefix) == .onRootDevice {
                    mountFirst = true
                    notes.append("\(key) \(path) does not exist")
                } else {
                    notes.append("\(key) \(path) does not exist")
                }
                continue
            }
            guard f.isDirectory else {
                worst = .fail; notes.append("\(key) \(path) is not a folder"); continue
            }
            evidence["\(key).owner"] = "\(FileFacts.userName(f.ownerUID)) mode \(String(f.mode, radix: 8))"
            // With sudo, root can write anywhere: what matters is the user behind it.
            let writable = context.user.viaSudo ? (f.ownerUID == context.user.uid || f.mode & 0o002 != 0) : FileFacts.isWritable(path)
            if !writable {
                worst = .fail; notes.append("\(key) \(path) is not writable by \(context.user.name)")
            } else if f.ownerUID != context.user.uid {
                worst = max(worst, .warn); notes.append("\(key) \(path) belongs to \(FileFacts.userName(f.ownerUID)), not \(context.user.name)")
            }
            if let space = FileFacts.space(path) {
                evidence["\(key).free"] = formatBytes(space.freeBytes)
                if let modelBytes, !Self.holdsModel(key, context), space.freeBytes < modelBytes {
                    worst = .fail
                    notes.append("\(key) has \(formatBytes(space.freeBytes)) free, the model needs \(formatBytes(modelBytes))")
                }
            }
        }
        if context.storageFolders.isEmpty { return .skip("no folders set") }
        if mountFirst { notes.append("mount the NVMe first: created now, they would be on the OS disk") }
        if notes.isEmpty {
            notes.append(context.storageFolders.map(\.key).joined(separator: " and ") + " ready for \(context.user.name)")
        }
        return CheckResult(worst, notes.joined(separator: "; "), evidence: evidence,
                           fix: worst == .pass ? nil : mountFirst ? "\(RepairHint.mount()), then \(RepairHint.only(.folders, sudo: true))" : RepairHint.only(.folders, sudo: true))
    }

    /// Pre-baked: the volume exists and this user can read it; read-only is fine (the node only
    /// reads the model) and the owner is whoever baked the snapshot.
    func prebaked(_ context: RunbookFacts) -> CheckResult {
        var problems: [String] = []
        var evidence: Evidence = ["user": "\(context.user.name) (uid \(context.user.uid))"]
        for (key, path) in context.storageFolders {
            let f = FileFacts.facts(path)
            guard f.exists else { problems.append("\(key) \(path) does not exist"); continue }
            guard f.isDirectory else { problems.append("\(key) \(path) is not a folder"); continue }
            evidence["\(key).owner"] = "\(FileFacts.userName(f.ownerUID)) mode \(String(f.mode, radix: 8))"
            evidence["\(key).writable"] = FileFacts.isWritable(path) ? "yes" : "no (read-only is fine here)"
            if FileFacts.isUnreadable(path) { problems.append("\(key) \(path) is not readable by \(context.user.name)") }
        }
        if context.storageFolders.isEmpty { return .skip("no folders set") }
        if !problems.isEmpty {
            return .fail(problems.joined(separator: "; "), evidence: evidence,
                         fix: "mount the pre-baked volume at \(context.modelVolume) on the node and into the pod (hostPath, read-only)")
        }
        return .pass(context.storageFolders.map { "\($0.key) \($0.path) readable by \(context.user.name)" }.joined(separator: "; "), evidence: evidence)
    }

    static func holdsModel(_ key: String, _ context: RunbookFacts) -> Bool {
        if key == "MODEL_FOLDER", case .complete = context.storeModel?.finding { return true }
        if key == "HF_CACHE_FOLDER", case .complete = context.hfModel?.finding { return true }
        return false
    }

    /// The weights' size when something already tells it: the safetensors index in the HF
    /// cache (`metadata.total_size`), else the shards' sizes.
    static func knownModelBytes(_ context: RunbookFacts) -> UInt64? {
        context.hfModel?.declaredBytes
    }
}
