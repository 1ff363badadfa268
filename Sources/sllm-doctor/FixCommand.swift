import ArgumentParser
import Bench
import Repair
import ServerClient
import Startup
import ModelSynth
import Checks
import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

struct FixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fix",
        abstract: "Repair what check found: mount the NVMe, create folders, unstick offline flags.",
        discussion: """
        Prints the plan first; --dry-run stops there. Actions: mount, folders, offline-flags, \
        compose-toggle, store-cleanup. A device with any signature, partitions, or mounted anywhere \
        is never formatted. Each edited file keeps a .bak beside it; a second run changes nothing. \
        fix reads the folders from the .env (--env-file) and never acts on the runbook's defaults: \
        without a .env, only --mount has something to do. System folders (/, /etc, /usr, ...) are \
        never a mount point.
        """)

    @OptionGroup var runbook: RunbookOptions
    @Option(help: "Mount the NVMe here (e.g. /nvme).") var mount: String?
    @Option(help: "Device to mount (default: the single unmounted, unpartitioned /dev/nvme*n* disk).") var device: String?
    @Flag(help: "Create ext4 on the device if it has no signature at all (asks first).") var format = false
    @Flag(help: "Add an /etc/fstab line by UUID with nofail.") var persist = false
    @Flag(help: "Answer yes to confirmations.") var yes = false
    @Flag(name: .customLong("allow-nonempty-mountpoint"), help: "Mount even though the mount point holds files (they are hidden until unmounted).") var allowNonEmpty = false
    @Flag(name: .customLong("dry-run"), help: "Print the plan and change nothing.") var dryRun = false
    @Option(help: "Only these actions (comma-separated).") var only: [String] = []
    @Option(help: ArgumentHelp("fstab to edit with --persist.", visibility: .hidden)) var fstab = "/etc/fstab"

    func run() throws {
        var options = FixOptions()
        options.mountPoint = mount
        options.device = device
        options.format = format
        options.persist = persist
        options.yes = yes
        options.dryRun = dryRun
        options.only = splitList(only)
        options.fstabPath = fstab
        options.allowNonEmptyMountPoint = allowNonEmpty
        let root = runbook.root, envFile = runbook.envFile, device = self.device
        let runner = FixRunner { RunbookFacts(options: .init(root: root, envFile: envFile, device: device)) }
        let redact = Redactor(secrets: runner.makeContext().secretValues)
        Output.use(redact)
        let plan: [FixRunner.Planned]
        do { plan = try runner.plan(options) } catch let e as FixError { throw UsageError(e.description) }

        var text = "Plan\(dryRun ? " (dry run: nothing will change)" : ""):\n"
        var changes = 0, refusals = 0, needsRoot = false
        for p in plan {
            switch p.step {
            case .notApplicable(let why): text += "  – \(p.action): not applicable (\(why))\n"
            case .nothingToDo(let why): text += "  ✓ \(p.action): nothing to do (\(why))\n"
            case .refuse(let why): refusals += 1; text += "  ✗ \(p.action): refused: \(why)\n"
            case .change(let steps, let root, let confirm):
                changes += 1
                if root { needsRoot = true }
                text += "  → \(p.action) (repairs \(p.repairs))\(root ? " [root]" : "")\(confirm != nil ? " [asks first]" : ""):\n"
                for s in steps { text += "      - \(s)\n" }
            }
        }
        Output.out(text)
        if changes == 0 {
            Output.out(refusals == 0 ? "Nothing to do.\n" : "")
            if refusals > 0 { throw ArgumentParser.ExitCode(DoctorExit.failed.rawValue) }
            return
        }
        if dryRun { throw ArgumentParser.ExitCode(refusals > 0 ? DoctorExit.failed.rawValue : 0) }
        if needsRoot && !options.isRoot {
            let args = CommandLine.arguments.dropFirst().map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
            throw UsageError("this plan needs root: re-run with `sudo \(CommandLine.arguments[0]) \(args)`")
        }
        Output.out("\nApplying:\n")
        var failed = refusals > 0
        let human = HumanRenderer(verbose: false, color: false, redact: redact)
        _ = runner.apply(plan, options: options, confirm: Self.ask) { applied in
            var out = TerminalText()
            if let error = applied.error {
                failed = true
                out += "  ✗ \(own: applied.action): \(error)\n"
            } else {
                for d in applied.done { out += "  ✓ \(own: applied.action): \(d)\n" }
            }
            if let v = applied.verification {
                out += "      re-check \(human.mark(v.result.status)) \(own: v.id): \(v.result.summary)\n"
                if v.result.status == .fail { failed = true }
            }
            Output.out(out)
        }
        if failed { throw ArgumentParser.ExitCode(DoctorExit.failed.rawValue) }
    }

    /// Asks on the terminal; without one, the answer is no (use --yes in scripts).
    static func ask(_ question: String) -> Bool {
        guard isatty(0) == 1 else {
            Output.err("sllm-doctor: \(question)? no terminal to ask: re-run with --yes\n")
            return false
        }
        Output.err("\(question)? type 'yes' to continue: ")
        return readLine()?.trimmingCharacters(in: .whitespaces) == "yes"
    }
}
