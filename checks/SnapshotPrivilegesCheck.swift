import DoctorCore
import SystemProbes
import Runbook
import Basics

/// CRIU may act: it needs CAP_SYS_ADMIN (root), or CAP_CHECKPOINT_RESTORE with CAP_SYS_PTRACE
/// for `criu --unprivileged`. Root in a container without them is not enough.
public struct SnapshotPrivilegesCheck: Check {
    public let id = "snapshot.privileges"
    public let title = "root, or the capabilities CRIU needs"
    public init() {}

    static let status = "/proc/self/status"

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        let path = context.hostPath(Self.status)
        guard let text = FileFacts.readSmall(path) else {
            return .fail("cannot read \(path): \(FileFacts.readFailure(path))", fix: "run on a Linux host with /proc mounted")
        }
        let who = ProcessPrivileges.parse(text)
        var evidence: Evidence = ["status": path]
        evidence["uid"] = who.effectiveUID.map(String.init) ?? "no Uid line"
        evidence["CapEff"] = who.effectiveCapabilities.map { String($0, radix: 16) } ?? "no CapEff line"
        let held = ProcessPrivileges.Capability.allCases.filter(who.has).map(\.name)
        evidence["held"] = held.isEmpty ? "none of \(ProcessPrivileges.Capability.allCases.map(\.name).joined(separator: ", "))" : held.joined(separator: ", ")
        let user = who.effectiveUID.map { $0 == 0 ? "root" : "uid \($0)" } ?? "this user"
        if who.effectiveCapabilities == nil {
            if who.effectiveUID == 0 { return .pass("root (\(path) shows no CapEff line)", evidence: evidence) }
            return .fail("\(user), and \(path) shows no capabilities: CRIU cannot dump or restore",
                         evidence: evidence, fix: "run as root: sudo")
        }
        if who.has(.sysAdmin) { return .pass("\(user) with CAP_SYS_ADMIN", evidence: evidence) }
        if who.has(.checkpointRestore) && who.has(.sysPtrace) {
            return .pass("\(user) with CAP_CHECKPOINT_RESTORE and CAP_SYS_PTRACE (criu --unprivileged)", evidence: evidence)
        }
        let missing = who.has(.checkpointRestore) ? "CAP_SYS_PTRACE beside CAP_CHECKPOINT_RESTORE" : "CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE"
        let fix = who.effectiveUID == 0
            ? "root without the capabilities is a container's root: give the container CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE and CAP_SYS_PTRACE)"
            : "run as root (sudo), or sudo setcap cap_checkpoint_restore,cap_sys_ptrace+eip $(command -v criu) and use criu --unprivileged"
        return .fail("\(user) without \(missing): CRIU cannot dump or restore", evidence: evidence, fix: fix)
    }
}
