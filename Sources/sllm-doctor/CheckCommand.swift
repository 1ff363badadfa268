import ArgumentParser
import Checks
import DoctorCore
import SystemProbes
import Foundation
import Runbook
import Basics

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run the runbook's checks on this host (or on captured state) and report.",
        discussion: """
        Without a .env (and no --env-file), the host is judged with the runbook's defaults. \
        Exit status: 0 nothing failed, 1 something failed (warnings too with --strict), 2 usage or configuration error.
        """)

    @OptionGroup var runbook: RunbookOptions

    @Option(help: "Read the mount table from this file (a copy of /proc/self/mountinfo from another host).")
    var mountinfo: String?

    @Option(help: "Block device to probe with libblkid (default: the device behind MODEL_FOLDER).")
    var device: String?

    @Option(name: .customLong("sys-block"), help: "Read the disks from this folder (a copy of /sys/block from another host).")
    var sysBlock: String?

    @Option(name: .customLong("udev-data"), help: "Read filesystem signatures from this folder (a copy of /run/udev/data) when a device cannot be opened.")
    var udevData: String?

    @Option(name: .customLong("host-root"), help: "Read /proc and CRIU's plugin folders under this folder (a captured host tree) for the snapshot checks.")
    var hostRoot: String?

    @Flag(help: "Judge as for an offline proof run (HF_HUB_OFFLINE=1): a cold HF cache fails.")
    var offline = false

    @Option(help: "What to expect of this host: standard (the runbook's NVMe host) prebaked (a Kubernetes node with the model on its own volume, MODEL_VOLUME, default /mnt/models), or snapshot (standard plus what a CRIU + cuda-checkpoint restore needs; SNAPSHOT_FOLDER).")
    var profile: CheckProfile = .standard

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

    @Flag(help: "Also ask the compose CLI (its version, and `config -q` to cross-check the compose file): slower.")
    var deep = false

    @Option(parsing: .unconditional, help: "Seconds a single check may take before it counts as failed.")
    var timeout: Double = 5

    var options: CheckRun {
        CheckRun(root: runbook.root, envFile: runbook.envFile, mountinfo: mountinfo, sysBlock: sysBlock, udevData: udevData, hostRoot: hostRoot,
                 device: device, offline: offline, profile: profile, only: only, skip: skip, ignore: ignore, strict: strict, json: json,
                 verbose: verbose, list: list, timeout: timeout, deep: deep)
    }

    func run() throws {
        guard CheckRun.isValidTimeout(timeout) else {
            throw UsageError("--timeout \(timeout): expected seconds, a number above 0 and at most \(Int(CheckRun.maxTimeout))")
        }
        try options.execute()
    }
}

/// `check`'s settings as plain values: what both the ArgumentParser command and the fast
/// path below produce, and what runs.
struct CheckRun: Equatable {
    var root = FileFacts.currentDirectory
    var envFile: String?
    var mountinfo: String?
    var sysBlock: String?
    var udevData: String?
    var hostRoot: String?
    var device: String?
    var offline = false
    var profile = CheckProfile.standard
    var only: [String] = []
    var skip: [String] = []
    var ignore: [String] = []
    var strict = false
    var json = false
    var verbose = false
    var list = false
    var timeout: Double = 5
    var deep = false

    /// A day: more is a typo, and an infinite or NaN timeout cannot be waited on.
    static let maxTimeout = 86_400.0
    static func isValidTimeout(_ t: Double) -> Bool { t > 0 && t <= maxTimeout }

    /// `check` runs before every benchmark, so its start costs what one `findmnt` costs.
    /// ArgumentParser builds every subcommand's definition first (a third of the time of a
    /// whole check); this reads check's own flags directly. Anything it does not know (help,
    /// a typo, a missing value) returns nil, and ArgumentParser parses instead, with its messages.
    static func fastParse(_ args: [String]) -> CheckRun? {
        var r = CheckRun()
        var i = 0
        while i < args.count {
            var arg = args[i]
            var inline: String?
            if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
                inline = String(arg[arg.index(after: eq)...])
                arg = String(arg[..<eq])
            }
            func value() -> String? {
                if let inline { return inline }
                i += 1
                guard i < args.count, !args[i].hasPrefix("-") || Double(args[i]) != nil else { return nil }
                return args[i]
            }
            switch arg {
            case "--offline", "--strict", "--json", "--verbose", "-v", "--list", "--deep":
                guard inline == nil else { return nil }
                switch arg {
                case "--offline": r.offline = true
                case "--strict": r.strict = true
                case "--json": r.json = true
                case "--list": r.list = true
                case "--deep": r.deep = true
                default: r.verbose = true
                }
            case "--root": guard let v = value() else { return nil }; r.root = v
            case "--env-file": guard let v = value() else { return nil }; r.envFile = v
            case "--mountinfo": guard let v = value() else { return nil }; r.mountinfo = v
            case "--sys-block": guard let v = value() else { return nil }; r.sysBlock = v
            case "--udev-data": guard let v = value() else { return nil }; r.udevData = v
            case "--host-root": guard let v = value() else { return nil }; r.hostRoot = v
            case "--device": guard let v = value() else { return nil }; r.device = v
            case "--profile": guard let v = value(), let p = CheckProfile(rawValue: v) else { return nil }; r.profile = p
            case "--only": guard let v = value() else { return nil }; r.only.append(v)
            case "--skip": guard let v = value() else { return nil }; r.skip.append(v)
            case "--ignore": guard let v = value() else { return nil }; r.ignore.append(v)
            case "--timeout": guard let v = value(), let t = Double(v), Self.isValidTimeout(t) else { return nil }; r.timeout = t
            default: return nil
            }
            i += 1
        }
        return r
    }

    func execute() throws {
        if list {
            Output.out(HumanRenderer(verbose: false, color: false, redact: Redactor(secrets: [])).renderCatalogue(catalogue(for: profile)))
            return
        }
        // libmount reads it whole: a FIFO or a device must be refused before it is opened.
        if let mountinfo, let problem = BoundedRead.openProblem(mountinfo) {
            throw UsageError("--mountinfo \(mountinfo): \(problem.reason)")
        }
        // A table of the wrong format is the user's to fix (exit 2), not a failing check.
        if let mountinfo {
            do { try MountInfoFormat.check(path: mountinfo) }
            catch { throw UsageError("--mountinfo \(error)") }
        }
        for (flag, dir) in [("--sys-block", sysBlock), ("--udev-data", udevData), ("--host-root", hostRoot)] {
            if let dir, !FileFacts.facts(dir).isDirectory { throw UsageError("\(flag) \(dir): no such folder") }
        }
        try RunbookOptions.requireNamedEnvFile(envFile)
        let environment = ProcessEnvironment.current()
        var contextOptions = RunbookFacts.Options(root: root, envFile: envFile, mountinfo: mountinfo,
                                                  device: device, offline: offline, checkTimeout: timeout,
                                                  sysBlock: sysBlock, udevData: udevData,
                                                  runbookDefaults: profile != .prebaked, layout: profile.layout)
        contextOptions.deep = deep
        contextOptions.hostRoot = hostRoot
        let context = RunbookFacts(options: contextOptions, processEnvironment: environment)
        let selection = Selection(only: splitList(only), skip: splitList(skip), ignore: splitList(ignore))
        let reports: [CheckReport]
        do { reports = try CheckRunner(checks: catalogue(for: profile), checkTimeout: timeout).run(context, selection: selection) }
        catch let e as SelectionError { throw UsageError(e.description) }
        let redact = Redactor(secrets: context.secretValues)
        Output.use(redact)
        if json {
            Output.json(JSONRenderer(redact: redact, host: NodeName.current(environment: environment), profile: profile.rawValue).render(reports))
        } else {
            let color = HumanRenderer.wantsColor(isTTY: Output.stdoutIsTTY, environment: environment)
            Output.out(HumanRenderer(verbose: verbose, color: color, redact: redact).text(reports), color: color)
        }
        let code = reports.exitCode(strict: strict)
        if code != .ok { throw ArgumentParser.ExitCode(code.rawValue) }
    }
}

extension CheckProfile: ExpressibleByArgument {}
