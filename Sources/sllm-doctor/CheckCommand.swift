import ArgumentParser
import Checks
import DoctorCore
import SystemProbes
import Foundation

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run the runbook's checks on this host (or on captured state) and report.",
        discussion: "Exit status: 0 nothing failed, 1 something failed (warnings too with --strict), 2 usage or configuration error.")

    @OptionGroup var runbook: RunbookOptions

    @Option(help: "Read the mount table from this file (a copy of /proc/self/mountinfo from another host).")
    var mountinfo: String?

    @Option(help: "Block device to probe with libblkid (default: the device behind MODEL_FOLDER).")
    var device: String?

    @Option(name: .customLong("sys-block"), help: "Read the disks from this folder (a copy of /sys/block from another host).")
    var sysBlock: String?

    @Option(name: .customLong("udev-data"), help: "Read filesystem signatures from this folder (a copy of /run/udev/data) when a device cannot be opened.")
    var udevData: String?

    @Flag(help: "Judge as for an offline proof run (HF_HUB_OFFLINE=1): a cold HF cache fails.")
    var offline = false

    @Option(help: "Run only these check ids or areas (comma-separated).")
    var only: [String] = []

    @Option(help: "Skip these check ids or areas.")
    var skip: [String] = []

    @Option(help: "Turn failures of these ids (or all) into warnings.")
    var ignore: [String] = []

    @Flag(help: "Warnings fail too (exit 1).")
    var strict = false

    @Flag(help: "Print one JSON object (docs/json.md) instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "Show the evidence behind each result.")
    var verbose = false

    @Flag(help: "List the checks and exit.")
    var list = false

    @Option(help: "Seconds a single check may take before it counts as failed.")
    var timeout: Double = 5

    func run() throws {
        if list {
            Output.out(HumanRenderer(verbose: false, color: false, redact: Redactor(secrets: [])).renderCatalogue(allChecks))
            return
        }
        if let mountinfo, !FileManager.default.fileExists(atPath: mountinfo) {
            throw UsageError("--mountinfo \(mountinfo): no such file")
        }
        for (flag, dir) in [("--sys-block", sysBlock), ("--udev-data", udevData)] {
            if let dir, !FileFacts.facts(dir).isDirectory { throw UsageError("\(flag) \(dir): no such folder") }
        }
        try runbook.requireNamedEnvFile()
        let context = CheckContext(options: .init(root: runbook.root, envFile: runbook.envFile, mountinfo: mountinfo,
                                                  device: device, offline: offline, checkTimeout: timeout,
                                                  sysBlock: sysBlock, udevData: udevData, runbookDefaults: true))
        let selection = Selection(only: splitList(only), skip: splitList(skip), ignore: splitList(ignore))
        let reports: [CheckReport]
        do { reports = try CheckRunner(checks: allChecks).run(context, selection: selection) }
        catch let e as SelectionError { throw UsageError(e.description) }
        let redact = Redactor(secrets: context.secretValues)
        Output.redact = redact
        if json {
            Output.out(JSONRenderer(redact: redact).render(reports))
        } else {
            let color = HumanRenderer.wantsColor(isTTY: Output.stdoutIsTTY, environment: ProcessInfo.processInfo.environment)
            Output.out(HumanRenderer(verbose: verbose, color: color, redact: redact).render(reports))
        }
        let code = reports.exitCode(strict: strict)
        if code != .ok { throw ArgumentParser.ExitCode(code.rawValue) }
    }
}
