import DoctorCore
import SystemProbes
import Runbook
import Basics

/// The kernel has what CRIU needs: `criu check` probes it (namespaces, memory tracking, vDSO
/// layout). A CRIU older than the kernel fails here too, on the vDSO. It asks the CRIU the
/// launcher will run (SLLM_CRIU, else PATH: snapshot.criu).
public struct SnapshotCRIUKernelCheck: Check {
    public let id = "snapshot.criu-check"
    public let title = "criu check: the kernel has what CRIU needs"
    public let mayBlock = true
    public init() {}

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        let command: CRIUCommand
        switch context.criuCommand {
        case .failure: return .skip("\(CRIUCommand.variable) cannot be read (snapshot.criu): nothing to ask")
        case .success(let c): command = c
        }
        if case .missing = context.criuVersion { return .skip(Self.nothingToAsk(command)) }
        let outcome = CRIUCheckOutput.query(context.commands, command: command.argv, timeout: max(1, context.options.checkTimeout - 0.5))
        let said: CRIUCheckOutput
        let status: Int32
        switch outcome {
        case .missing: return .skip(Self.nothingToAsk(command))
        case .failed(let why): return .fail(why, fix: "run sudo \(command.argv.joined(separator: " ")) check by hand")
        case .ran(let s, let output): status = s; said = output
        }
        var evidence: Evidence = ["criu": command.argv.joined(separator: " "), "exit status": String(status), "verdict": said.verdict.rawValue]
        for (n, e) in said.errors.prefix(8).enumerated() { evidence["error \(n + 1)"] = e }
        for (n, w) in said.warnings.prefix(8).enumerated() { evidence["warning \(n + 1)"] = w }
        if status == 0 && said.verdict == .good { return .pass("criu check: Looks good.", evidence: evidence) }
        if status == 0 && said.verdict == .missingFeatures {
            return .warn("criu check: optional kernel features are missing (\(Self.list(said.warnings + said.errors)))",
                         evidence: evidence,
                         fix: "a dump or restore that needs one of them fails naming it; criu check --all lists them all")
        }
        let problems = said.errors.isEmpty ? ["no verdict (\(said.verdict.rawValue))"] : said.errors
        return .fail("criu check failed (exit \(status)): \(Self.list(problems))", evidence: evidence, fix: fix(context, said))
    }

    static func nothingToAsk(_ command: CRIUCommand) -> String {
        switch command.source {
        case .variable: return "\(CRIUCommand.variable) names \(command.argv[0]), which is not there (snapshot.criu): nothing to ask"
        case .path: return "no criu on PATH and \(CRIUCommand.variable) unset (snapshot.criu): nothing to ask"
        }
    }

    /// At most three, then how many more.
    static func list(_ items: [String]) -> String {
        items.prefix(3).joined(separator: "; ") + (items.count > 3 ? " (+\(items.count - 3))" : "")
    }

    func fix(_ context: RunbookFacts, _ said: CRIUCheckOutput) -> String {
        if said.errors.contains(where: { $0.contains("CAP_") || $0.contains("root") }) {
            return "run as root, or with the capabilities snapshot.privileges names"
        }
        if case .ok(let v) = context.criuVersion, v < CRIUVersion.cudaPlugin {
            return "this CRIU (\(v)) predates this kernel: install CRIU \(CRIUVersion.cudaPlugin) or later, then criu check again"
        }
        return "criu check -v4 shows the probe that failed: update the kernel or CRIU until it says Looks good."
    }
}
