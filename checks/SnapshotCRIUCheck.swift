import DoctorCore
import SystemProbes
import Runbook
import Basics

/// The CRIU the launcher will run (SLLM_CRIU before PATH, as vllm_snapshot chooses) is there and
/// new enough: 4.0 at least, and 4.2 on kernel 6.16 or later, where an older CRIU cannot dump the
/// server's TCP socket.
public struct SnapshotCRIUCheck: Check {
    public let id = "snapshot.criu"
    public let title = "CRIU 4.0 or later (4.2 on kernel 6.16+): SLLM_CRIU, else PATH"
    public let mayBlock = true
    public init() {}

    static let install = "install CRIU \(CRIUVersion.cudaPlugin) or later and put its folder (often /usr/sbin) on PATH, or set SLLM_CRIU to a CRIU command line (scripts/fetch-criu.sh prints one)"
    static let installNew = "set SLLM_CRIU to a CRIU \(CRIUVersion.tcpOnNewKernels) or later (scripts/fetch-criu.sh fetches Debian's 4.2.1 and prints its wrapper), or install CRIU \(CRIUVersion.tcpOnNewKernels) or later on PATH"
    /// The kernel from which CRIU before 4.2 cannot dump a TCP socket.
    static let newKernel = (major: 6, minor: 16)
    static let measured = "measured on kernel 6.18.44, 2026-12-02: CRIU 4.1.1's dump of a process with a TCP socket stops at `sockets: Can't get 1:16 opt: Operation not supported` (SO_PASSCRED); 4.2.1 dumps it"

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        var evidence: Evidence = ["minimum": "\(CRIUVersion.cudaPlugin) (the CUDA plugin came in CRIU 4.0); \(CRIUVersion.tcpOnNewKernels) on kernel \(Self.newKernel.major).\(Self.newKernel.minor) or later"]
        let command: CRIUCommand
        switch context.criuCommand {
        case .failure(let invalid):
            evidence["chosen by"] = "\(CRIUCommand.variable) is set: vllm_snapshot runs it and looks at no criu on PATH"
            return .fail(invalid.description, evidence: evidence, fix: "correct \(CRIUCommand.variable) (quote a path with spaces), or unset it to use criu on PATH")
        case .success(let c): command = c
        }
        evidence["chosen by"] = command.why
        if case .variable(let given) = command.source { evidence[CRIUCommand.variable] = given }
        let kernel = context.kernelRelease
        evidence["kernel"] = kernel.release.map { "\($0) (\(kernel.source))" } ?? "unknown: \(kernel.source)"

        let program = command.argv[0]
        let shown: String
        switch command.source {
        case .variable(let given): shown = "\(given.trimmingSpaces(newlines: true).prefix(200)) (\(CRIUCommand.variable))"
        case .path: shown = context.onPath("criu") ?? "criu"
        }
        switch context.criuVersion {
        case .missing:
            if case .variable = command.source {
                return .fail("\(CRIUCommand.variable) names \(program), which is not an executable (the launcher would fail the same way; it does not fall back to PATH)",
                             evidence: evidence, fix: "point \(CRIUCommand.variable) at a CRIU that runs, e.g. the path scripts/fetch-criu.sh prints, or unset it")
            }
            evidence["PATH"] = context.processEnvironment["PATH"] ?? "(unset)"
            return .fail("no criu on PATH and \(CRIUCommand.variable) unset: no snapshot can be made or restored", evidence: evidence, fix: Self.install)
        case .failed(let why):
            return .fail("\(shown): \(why)", evidence: evidence, fix: "run \(program) --version by hand; reinstall CRIU if it does not answer")
        case .ok(let version):
            evidence["criu"] = shown
            evidence["version"] = version.text + (version.gitID.map { " (GitID \($0))" } ?? "")
            if version < CRIUVersion.cudaPlugin {
                return .fail("criu \(version) at \(shown) is older than \(CRIUVersion.cudaPlugin), the first release with the CUDA plugin",
                             evidence: evidence, fix: Self.install)
            }
            guard version < CRIUVersion.tcpOnNewKernels else { return .pass("criu \(version) at \(shown)", evidence: evidence) }
            guard let release = kernel.release else {
                return .warn("criu \(version) at \(shown); the kernel is unknown (\(kernel.source)): on kernel 6.16 or later CRIU before \(CRIUVersion.tcpOnNewKernels) cannot dump the server's TCP socket",
                             evidence: evidence, fix: Self.installNew)
            }
            if release.isAtLeast(Self.newKernel.major, Self.newKernel.minor) {
                return .fail("criu \(version) at \(shown) cannot dump a TCP socket on kernel \(release) (a vLLM server listens on one): kernel 6.16 or later needs CRIU \(CRIUVersion.tcpOnNewKernels) or later (\(Self.measured))",
                             evidence: evidence, fix: Self.installNew)
            }
            return .pass("criu \(version) at \(shown) (kernel \(release), before 6.16)", evidence: evidence)
        }
    }
}
