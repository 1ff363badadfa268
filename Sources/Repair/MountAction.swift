import Checks
import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// Mount the NVMe at the mount point (runbook step 1): choose the device, format only a
/// device with no signature at all and only when asked, mount with libmount, persist by UUID.
public struct MountAction: FixAction {
    public let id = "mount"
    public let repairs = "storage.mount"
    public init() {}

    struct Decision {
        var device: String
        var signature: BlockSignature
        var alreadyMounted: Bool
        var needsFormat: Bool
        var fstabLine: String?
    }

    func decide(_ context: RunbookFacts, _ o: FixOptions) throws -> Result<Decision, FixError>? {
        guard let mountPoint = o.mountPoint else { return nil }
        let table = try MountTable()
        if let why = MountPointPolicy.refusal(mountPoint, table: table) { return .failure(FixError(why)) }
        let device: String
        if let d = o.device {
            device = d
        } else {
            let candidates = BlockDevices.disks().filter { disk in
                !disk.hasPartitions && !table.entries.contains { Placement.sameDevice($0.source, disk.path) }
            }
            if candidates.isEmpty {
                // Already mounted there? Then the device is whatever is mounted.
                if let m = table.entries.last(where: { $0.target == FileFacts.normalizedPath(mountPoint) }), m.isBlockDevice {
                    device = m.source
                } else {
                    return .failure(FixError("no unmounted, unpartitioned /dev/nvme*n* disk found: name one with --device"))
                }
            } else if candidates.count > 1 {
                return .failure(FixError("several candidate disks: \(candidates.map { "\($0.path) (\(formatBytes($0.sizeBytes)))" }.joined(separator: ", ")); choose one with --device"))
            } else {
                device = candidates[0].path
            }
        }
        guard FileFacts.exists(device) else { return .failure(FixError("--device \(device): no such device")) }
        guard FileFacts.isBlockDevice(device) else {
            return .failure(FixError("--device \(device) is not a block device: name a disk such as /dev/nvme1n1 (for an image file, attach it first: sudo losetup -f --show FILE)"))
        }
        let layout = DiskLayout(context.options.sysBlock.map { BlockDevices.list(sysBlock: $0) } ?? BlockDevices.list())
        if let why = MountPointPolicy.osDiskRefusal(device: device, devno: BlockDevices.devno(ofNode: device), table: table, layout: layout) {
            return .failure(FixError(why))
        }
        let target = FileFacts.normalizedPath(mountPoint)
        let mountsOfDevice = table.entries.filter { Placement.sameDevice($0.source, device) }
        if mountsOfDevice.contains(where: { $0.target == target }) {
            let sig = BlockProbe.probe(device)
            return .success(Decision(device: device, signature: sig, alreadyMounted: true, needsFormat: false,
                                     fstabLine: o.persist ? fstabLine(sig, target) : nil))
        }
        if let other = mountsOfDevice.first {
            return .failure(FixError("\(device) is already mounted on \(other.target): refusing to touch a mounted device"))
        }
        if let existing = table.entries.last(where: { $0.target == target }) {
            return .failure(FixError("\(target) already has \(existing.source) mounted on it: unmount it first"))
        }
        if !o.allowNonEmptyMountPoint, let entries = try? FileManager.default.contentsOfDirectory(atPath: target), !entries.isEmpty {
            let shown = entries.sorted().prefix(3).joined(separator: ", ") + (entries.count > 3 ? ", …" : "")
            return .failure(FixError("\(target) already holds \(entries.count) entr\(entries.count == 1 ? "y" : "ies") (\(shown)): mounting would hide them; move them away, or pass --allow-nonempty-mountpoint"))
        }
        if BlockDevices.hasPartitions(device) {
            return .failure(FixError("\(device) has partitions: refusing to format or mount the whole disk; name a partition with --device"))
        }
        let sig = BlockProbe.probe(device)
        switch sig {
        case .cannotProbe(let reason):
            return .failure(FixError("cannot probe \(device): \(reason)\(o.isRoot ? "" : " (re-run with sudo)")"))
        case .partitionTable(let t):
            return .failure(FixError("\(device) holds a \(t) partition table: refusing to format it"))
        case .ambivalent:
            return .failure(FixError("\(device) carries conflicting signatures: refusing; inspect with wipefs"))
        case .none:
            guard o.format else {
                return .failure(FixError("\(device) is unformatted: re-run with --format to create ext4 on it (wipes it)"))
            }
            return .success(Decision(device: device, signature: sig, alreadyMounted: false, needsFormat: true,
                                     fstabLine: o.persist ? "UUID=<new> \(target) ext4 defaults,nofail 0 2" : nil))
        case .filesystem:
            return .success(Decision(device: device, signature: sig, alreadyMounted: false, needsFormat: false,
                                     fstabLine: o.persist ? fstabLine(sig, target) : nil))
        }
    }

    func fstabLine(_ sig: BlockSignature, _ target: String) -> String? {
        guard case .filesystem(let type, let uuid?, _) = sig else { return nil }
        return "UUID=\(uuid) \(target) \(type) defaults,nofail 0 2"
    }

    /// True when fstab already mounts this UUID or this mount point.
    func fstabHas(_ fstab: String, line: String) -> Bool {
        let fields = line.split(separator: " ")
        guard fields.count >= 2 else { return false }
        return fstab.split(separator: "\n").contains { existing in
            let f = existing.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count >= 2, !f[0].hasPrefix("#") else { return false }
            return f[0] == fields[0] || f[1] == fields[1]
        }
    }

    public func plan(_ context: RunbookFacts, _ o: FixOptions) throws -> FixStep {
        guard let result = try decide(context, o) else { return .notApplicable("no --mount given") }
        let d: Decision
        switch result {
        case .failure(let e): return .refuse(e.description)
        case .success(let x): d = x
        }
        let target = FileFacts.normalizedPath(o.mountPoint!)
        var steps: [String] = []
        if o.format && !d.needsFormat, case .filesystem(let t, _, _) = d.signature {
            steps.append("keep \(d.device) as it is: it already holds \(t) (--format never touches a device with a signature)")
        }
        if d.needsFormat { steps.append("mkfs.ext4 \(d.device) (no signature found: the disk is empty)") }
        if !d.alreadyMounted {
            if !FileFacts.exists(target) { steps.append("mkdir -p \(target)") }
            steps.append("mount \(d.device) on \(target) (libmount)")
        }
        if let line = d.fstabLine {
            let fstab = (try? FileFacts.readText(o.fstabPath)) ?? ""
            if !fstabHas(fstab, line: line) { steps.append("add to \(o.fstabPath): \(line) (backup \(o.fstabPath).bak)") }
        }
        let changing = steps.filter { !$0.hasPrefix("keep ") }
        if changing.isEmpty {
            return .nothingToDo("\(d.device) is already mounted on \(target)" + (steps.isEmpty ? "" : "; " + steps.joined(separator: "; ")))
        }
        return .change(steps, needsRoot: true, confirm: d.needsFormat ? "format \(d.device) with ext4, erasing it" : nil)
    }

    public func apply(_ context: RunbookFacts, _ o: FixOptions) throws -> [String] {
        guard let result = try decide(context, o) else { return [] }
        let d = try result.get()
        let target = FileFacts.normalizedPath(o.mountPoint!)
        var done: [String] = []
        var signature = d.signature
        if d.needsFormat {
            // Probe again right before formatting: nothing may have appeared in between.
            guard BlockProbe.probe(d.device) == .none else { throw FixError("\(d.device) gained a signature since the plan: not formatting") }
            switch context.commands.run(["mkfs.ext4", "-F", "-q", d.device], timeout: 600) {
            case .failure(let e): throw FixError("mkfs.ext4: \(e)")
            case .success(let out) where out.status != 0: throw FixError("mkfs.ext4 \(d.device) failed: \(out.stderr)")
            case .success: done.append("formatted \(d.device) as ext4")
            }
            signature = BlockProbe.probe(d.device)
        }
        if !d.alreadyMounted {
            if !FileFacts.exists(target) {
                try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
                done.append("created \(target)")
            }
            var fstype: String?
            if case .filesystem(let t, _, _) = signature { fstype = t }
            do { try MountOps.mount(source: d.device, target: target, fstype: fstype) }
            catch { throw FixError("\(error)") }
            done.append("mounted \(d.device) on \(target)")
        }
        // Verify from the kernel's own table, as the runbook's HARD STOP does with findmnt.
        let table = try MountTable()
        guard let m = table.entries.last(where: { $0.target == target }), Placement.sameDevice(m.source, d.device) else {
            throw FixError("after mounting, \(target) is not backed by \(d.device)")
        }
        let placement = Placement(path: target, mount: m, rootMount: table.rootMount)
        if placement.verdict(expectedDevice: d.device, expectedPrefix: "/dev/") == .onRootDevice {
            throw FixError("\(target) resolves to the OS disk (\(m.source)): stop")
        }
        done.append("verified: \(m.source) on \(m.target) type \(m.fstype), not the OS disk")
        if o.persist, let line = fstabLine(signature, target) {
            let fstab = (try? FileFacts.readText(o.fstabPath)) ?? ""
            if !fstabHas(fstab, line: line) {
                var text = fstab
                if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
                text += "# added by sllm-doctor fix --persist\n\(line)\n"
                try AtomicFile.replace(o.fstabPath, with: Data(text.utf8))
                done.append("added \(line) to \(o.fstabPath)")
            }
        }
        return done
    }
}
