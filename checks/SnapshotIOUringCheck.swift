import DoctorCore
import SystemProbes
import Runbook
import Basics

/// No process may open an io_uring ring: CRIU cannot dump one, and libuv (under uvloop, vLLM's
/// API server's event loop) opens one whenever the kernel lets it. `kernel.io_uring_disabled=2`
/// refuses rings to every process, root included; 1 still lets root (the restore) have them.
public struct SnapshotIOUringCheck: Check {
    public let id = "snapshot.io-uring"
    public let title = "kernel.io_uring_disabled is 2"
    public init() {}

    static let sysctl = "/proc/sys/kernel/io_uring_disabled"
    static let measured = "the lent H200, 2026-12-02, at 0: the dump of a vLLM 0.26 server stopped in its API server at `Error (criu/proc_parse.c:502): Unknown shit 600 (anon_inode:[io_uring])`; at 2 it got past it"
    static let fix = "sudo sysctl -w kernel.io_uring_disabled=2, and keep it: echo kernel.io_uring_disabled=2 | sudo tee /etc/sysctl.d/60-snapshot.conf"

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        let path = context.hostPath(Self.sysctl)
        var evidence: Evidence = ["sysctl": path]
        guard FileFacts.exists(path) else {
            return .warn("no kernel.io_uring_disabled (\(path)): this kernel (before 6.6) cannot switch io_uring off; a server that opens a ring cannot be dumped",
                         evidence: evidence,
                         fix: "use a kernel of 6.6 or later; UV_USE_IO_URING=0 in the server's environment asks libuv for epoll instead, but whether that alone avoids every ring was not measured")
        }
        guard let text = FileFacts.readSmall(path) else {
            return .fail("cannot read \(path): \(FileFacts.readFailure(path))", evidence: evidence, fix: "sudo sllm-doctor check --profile snapshot")
        }
        let value = text.trimmingSpaces(newlines: true)
        evidence["value"] = value
        switch value {
        case "2": return .pass("kernel.io_uring_disabled = 2: no process can open an io_uring ring", evidence: evidence)
        case "0", "1":
            let who = value == "0" ? "every process" : "root (the restore runs as root)"
            evidence["measured"] = Self.measured
            return .fail("kernel.io_uring_disabled = \(value): \(who) may open io_uring rings, which CRIU cannot dump; it must be 2",
                         evidence: evidence, fix: Self.fix)
        default:
            return .fail("\(path): '\(value.prefix(40))', expected 0, 1 or 2", evidence: evidence, fix: Self.fix)
        }
    }
}
