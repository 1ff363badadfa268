import ArgumentParser
import Bench
import ServerClient
import Startup
import ModelSynth
import Checks
import DoctorCore
import Dispatch
import Foundation
import SystemProbes
import Runbook
import Basics

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark restarts of baseline vs faststart vLLM (and any other variants), honestly.",
        discussion: """
        Runs `check` first (stops on failures; --ignore as in check). Each run starts from a clean port, \
        optionally dropped page cache and restarted store, polls GET /v1/models every 10 ms, sends one \
        streamed completion (TTFT, first completion), stops the server and waits for the port and GPU. \
        A server that exits before ready is reported as a crash-loop at once. Results go to \
        <root>/benchmarks/results/ (JSON, SVG, logs); the tables of <root>/benchmarks/README.md are then \
        rebuilt from every results file there, as `bench report` rebuilds them.
        """,
        subcommands: [BenchReportCommand.self])

    @OptionGroup var runbook: RunbookOptions
    @Option(help: "restart or coldstart (which table the rows go to).") var mode: String = "restart"
    @Option(parsing: .unconditional, help: "Runs per variant (1-1000).") var runs: Int?
    @Flag(name: .customLong("drop-caches"), help: "sync and drop the page cache before each start (root).") var dropCaches = false
    @Flag(help: "Servers run with HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1; refuses unless the HF cache (and store) checks pass.") var offline = false
    @Option(help: "Free text for the Notes column.") var note: String = ""
    @Option(help: "Plan file (YAML, docs/bench-plan.md) listing the variants.") var plan: String?
    @Flag(help: "Print the results object on stdout.") var json = false
    @Option(help: "Turn failures of these check ids into warnings for the preflight.") var ignore: [String] = []
    @Option(name: .customLong("ready-timeout"), parsing: .unconditional, help: "Seconds a start may take before the run counts as timed out.") var readyTimeout: Double?
    @Option(name: .customLong("stop-grace"), parsing: .unconditional, help: "Seconds between SIGTERM and SIGKILL.") var stopGrace: Double?
    @Flag(help: "Add a sleep-mode (wake) variant made from the first variant's command.") var wake = false
    @Flag(help: "From the first variant's command, run vLLM's start-up knobs as variants (compile cache cold, in-process engine, --enforce-eager, fewer CUDA graphs, fastsafetensors, runai_streamer, sleep mode), each with a 256-token decode probe, then the helpful ones together; 1 run each unless --runs.") var explore = false
    @Option(help: "With --explore: only these knobs (comma-separated names from the table).") var knobs: [String] = []
    @Flag(name: .customLong("sleep-level-2"), help: "Wake variants sleep at level 2 (weights discarded, then reloaded before the completion).") var sleepLevel2 = false
    @OptionGroup var results: ResultsFolderOption

    var options: BenchOptions {
        get throws {
            guard let benchMode = BenchMode(rawValue: mode) else { throw UsageError("--mode \(mode): expected restart or coldstart") }
            var o = BenchOptions()
            o.mode = benchMode; o.runs = runs; o.dropCaches = dropCaches; o.offline = offline; o.note = note
            o.readyTimeout = readyTimeout; o.stopGrace = stopGrace; o.wake = wake; o.explore = explore
            o.knobs = splitList(knobs); o.sleepLevel2 = sleepLevel2
            try o.validate()
            return o
        }
    }

    func run() throws {
        let options = try self.options
        try runbook.requireNamedEnvFile()
        let context = RunbookFacts(options: .init(root: runbook.root, envFile: runbook.envFile, offline: offline))
        let redact = Redactor(secrets: context.secretValues)
        Output.use(redact)
        let benchPlan = try BenchPlan.load(path: plan, options: options, context: context)
        if dropCaches && !InvokingUser.isRoot {
            throw UsageError("--drop-caches needs root (it writes /proc/sys/vm/drop_caches): re-run with sudo")
        }
        try preflight(context, benchPlan, redact)

        let interrupt = InterruptFlag()
        let sources = Self.handleStopSignals(interrupt)
        defer { sources.forEach { $0.cancel() } }
        let job = BenchJob(plan: benchPlan, root: context.root,
                           resultsDir: results.resultsDir.map { context.absolute($0) } ?? FileFacts.join(context.root, "benchmarks/results"),
                           readme: FileFacts.join(context.root, "benchmarks/README.md"), mode: options.mode, stamp: Self.stamp(Date()),
                           processEnvironment: context.processEnvironment, commands: context.commands, redact: redact,
                           watchdogExecutable: FileFacts.readLink("/proc/self/exe") ?? CommandLine.arguments[0])
        // Progress and the report quote server logs: the terminal shows their controls, never runs them.
        let outcome = try job.run(interrupt: interrupt) { Output.err($0 + "\n") }
        Output.err(outcome.report)
        if json { Output.json(outcome.jsonText) }
        if !outcome.allOK { throw ArgumentParser.ExitCode(DoctorExit.failed.rawValue) }
    }

    /// The checks before any server starts; their failures are printed here and stop bench.
    func preflight(_ context: RunbookFacts, _ plan: BenchPlan, _ redact: Redactor) throws {
        let color = HumanRenderer.wantsColor(isTTY: Output.stderrIsTTY, environment: context.processEnvironment)
        let human = HumanRenderer(verbose: false, color: color, redact: redact)
        // A snapshot variant: the snapshot profile's checks too, on its image folder.
        let judged = plan.usesSnapshot ? Self.snapshotContext(context, plan) : context
        let checks = CheckSubset.benchPreflight(plan.usesSnapshot ? .snapshot : .standard, usesCompose: plan.usesCompose)
        switch try BenchPreflight.judge(judged, plan: plan, checks: checks, ignore: splitList(ignore)) {
        case .ready(let counts):
            Output.err("preflight: \(counts.pass) passed, \(counts.warn) warnings\n")
        case .offlineBlocked(let blocking):
            Output.err(human.text(blocking), color: color)
            Output.error("--offline: the servers would crash-loop (\(blocking.map(\.id).joined(separator: ", ")) not passing); warm the cache online first")
            throw ArgumentParser.ExitCode(DoctorExit.failed.rawValue)
        case .snapshotBlocked(let failing):
            Output.err(human.text(failing), color: color)
            let names = plan.variants.filter { $0.snapshot != nil }.map(\.name).joined(separator: ", ")
            Output.error("\(names): a snapshot restore needs what \(failing.map(\.id).joined(separator: ", ")) found missing: fix it or pass --ignore ID (no image made, no server started)")
            throw ArgumentParser.ExitCode(DoctorExit.failed.rawValue)
        case .failed(let failures):
            Output.err(human.text(failures), color: color)
            Output.error("preflight failed: fix the above or pass --ignore ID (not starting any server)")
            throw ArgumentParser.ExitCode(DoctorExit.failed.rawValue)
        }
    }

    /// The context of `check --profile snapshot`, with SNAPSHOT_FOLDER the first snapshot
    /// variant's image folder (unless .env sets it).
    static func snapshotContext(_ context: RunbookFacts, _ plan: BenchPlan) -> RunbookFacts {
        let o = context.options
        var environment = context.processEnvironment
        if let image = plan.variants.lazy.compactMap(\.snapshot).first?.image { environment["SNAPSHOT_FOLDER"] = image }
        return RunbookFacts(options: o, processEnvironment: environment, commands: context.commands)
    }

    /// Any of these signals stops the server in flight; partial results are still written.
    /// SIGPIPE is ignored: a closed terminal (ssh dropped) must not kill bench mid-write.
    static func handleStopSignals(_ interrupt: InterruptFlag) -> [DispatchSourceSignal] {
        signal(SIGPIPE, SIG_IGN)
        return stopSignals.map { sig in
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler {
                Output.err("\nsllm-doctor: \(Self.signalName(sig)): stopping the server, writing partial results\n")
                interrupt.trigger()
            }
            src.resume()
            return src
        }
    }

    static let stopSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    static func signalName(_ sig: Int32) -> String {
        switch sig {
        case SIGINT: return "interrupted (SIGINT)"
        case SIGTERM: return "terminated (SIGTERM)"
        case SIGHUP: return "hung up (SIGHUP)"
        case SIGQUIT: return "quit (SIGQUIT)"
        default: return "signal \(sig)"
        }
    }

    static func stamp(_ d: Date) -> String { utcString(d, format: "yyyyMMdd_HHmmss") }
}

/// `--results-dir`, shared by `bench` and `bench report`: the parent command parses the options
/// of both, so the two declare it as one group under one name.
struct ResultsFolderOption: ParsableArguments {
    @Option(name: .customLong("results-dir"), help: "Where the results files are written and read (default <root>/benchmarks/results).")
    var resultsDir: String?
}
