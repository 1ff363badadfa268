import ArgumentParser
import DoctorCore
import SystemProbes
import Foundation
import Runbook
import Basics

/// sllm-doctor: pre-flight checks, repairs and honest start-up benchmarks for vLLM hosts.
struct SllmDoctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sllm-doctor",
        abstract: "Check, fix and benchmark vLLM fast start (baseline vs ServerlessLLM Store).",
        version: Tool.version,
        subcommands: [CheckCommand.self, FixCommand.self, BenchCommand.self, AnatomyCommand.self,
                      ProbeCommand.self, StartupCommand.self, SynthModelCommand.self, WatchdogCommand.self, FleetCommand.self])
}

@main
enum Entry {
    static func main() {
        do {
            // argv read directly: CommandLine.arguments decodes through the generic slow path.
            let args = (1..<max(1, Int(CommandLine.argc))).map { String(cString: CommandLine.unsafeArgv[$0]!) }
            if args.first == "check", let fast = CheckRun.fastParse(Array(args.dropFirst())) {
                // Everything is written by write(2) by now, and check leaves nothing to clean
                // up: _exit skips the atexit and destructor pass of every linked library.
                do { try fast.execute() } catch let code as ArgumentParser.ExitCode { _exit(code.rawValue) }
                _exit(0)
            }
            var command = try SllmDoctor.parseAsRoot()
            try command.run()
        } catch let code as ArgumentParser.ExitCode {
            Foundation.exit(code.rawValue)
        } catch let error where RunFailure.from(error) != nil {
            Output.error(RunFailure.from(error)!.description)
            Foundation.exit(DoctorExit.failed.rawValue)
        } catch let error where UsageError.from(error) != nil {
            Output.error(UsageError.from(error)!.description)
            Foundation.exit(DoctorExit.usage.rawValue)
        } catch {
            // --help and --version are "errors" that exit 0; everything else a parser or
            // configuration error is a usage error (exit 2), as documented.
            if SllmDoctor.exitCode(for: error).isSuccess { SllmDoctor.exit(withError: error) }
            // ArgumentParser's message starts with "Error: ": ours already says "error:".
            var message = SllmDoctor.fullMessage(for: error)
            if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
            Output.error(message)
            Foundation.exit(DoctorExit.usage.rawValue)
        }
    }
}

/// The one place that writes to the terminal. Nothing reaches it raw: plain text is redacted
/// and shown with its controls visible (line feeds and tabs kept), `TerminalText` keeps the
/// tool's own colour and shows every foreign part on one line, and JSON (escaped by its
/// writer, redacted before it was encoded) is only checked for controls.
enum Output {
    static func out(_ text: String) { writeAll(1, shown(text)) }
    static func err(_ text: String) { writeAll(2, shown(text)) }
    static func out(_ text: TerminalText, color: Bool = false) { writeAll(1, text.rendered(color: color) { redact($0) }) }
    static func err(_ text: TerminalText, color: Bool = false) { writeAll(2, text.rendered(color: color) { redact($0) }) }
    /// A document from `JSONRenderer` (or a renderer like it): its strings were redacted
    /// before encoding; redacting the encoded text again could break its syntax.
    static func json(_ text: String) { writeAll(1, TerminalSafe.visible(text, keepNewlines: true)) }

    private static func shown(_ text: String) -> String { TerminalSafe.visible(redact(text), keepNewlines: true) }

    // Plain write(2), errors ignored: a vanished terminal (EIO, EPIPE) must not crash a
    // command that still has results to save.
    private static func writeAll(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            bytes = bytes.dropFirst(n)
        }
    }
    /// Error messages may quote input (a plan line, a flag value): they pass through the same
    /// redactor as every report. Commands that read a `.env` widen it with its secrets.
    nonisolated(unsafe) static var redact = Redactor(secrets: RunbookFacts.secretKeys.compactMap { ProcessEnvironment.value($0) })
    static func error(_ text: String) { err("sllm-doctor: error: \(text)\n") }
    /// The one place a command that read a `.env` sets the redactor (check, bench, fix): it
    /// widens the redactor with those secrets and, when a token was set to something too short
    /// to be one (`Redactor`), says so once on stderr.
    static func use(_ redactor: Redactor) {
        redact = redactor
        warnAboutShortTokens(redactor)
    }
    nonisolated(unsafe) private static var warnedAboutShortTokens = false
    private static func warnAboutShortTokens(_ redact: Redactor) {
        guard redact.tooShort > 0, !warnedAboutShortTokens else { return }
        warnedAboutShortTokens = true
        err("sllm-doctor: warning: a token (\(RunbookFacts.secretKeys.joined(separator: ", "))) is set to fewer than \(Redactor.minimumSecretLength) characters: too short to be a Hugging Face token, so it is not masked in output\n")
    }
    static var stdoutIsTTY: Bool { isatty(1) == 1 }
    static var stderrIsTTY: Bool { isatty(2) == 1 }
}

/// Flags every subcommand that reads the runbook's files shares.
struct RunbookOptions: ParsableArguments {
    @Option(help: "Repository root holding .env and vllm_bridge/.")
    var root: String = FileManager.default.currentDirectoryPath

    @Option(name: .customLong("env-file"), help: "The .env file (default: <root>/.env).")
    var envFile: String?

    /// A `.env` the user named must exist: the runbook's defaults stand in only for none named.
    func requireNamedEnvFile() throws { try Self.requireNamedEnvFile(envFile) }

    static func requireNamedEnvFile(_ envFile: String?) throws {
        // Only what stands for absence is a usage error; a FIFO or a huge file is env.file's to report.
        if let envFile, let problem = BoundedRead.openProblem(envFile) {
            switch problem {
            case .missing, .danglingLink, .linkLoop: throw UsageError("--env-file \(envFile): \(problem.reason)")
            default: break
            }
        }
    }
}

/// `--only a,b --only c` → [a, b, c].
func splitList(_ values: [String]) -> [String] {
    values.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
}
