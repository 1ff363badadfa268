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

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark restarts of baseline vs faststart vLLM (and any other variants), honestly.",
        discussion: """
        Runs `check` first (stops on failures; --ignore as in check). Each run starts from a clean port, \
        optionally dropped page cache and restarted store, polls GET /v1/models every 10 ms, sends one \
        streamed completion (TTFT, first completion), stops the server and waits for the port and GPU. \
        A server that exits before ready is reported as a crash-loop at once. Results go to \
        <root>/benchmarks/results/ (JSON, SVG, logs) and a row into <root>/benchmarks/README.md.
        """)

    @OptionGroup var runbook: RunbookOptions
    @Option(help: "restart or coldstart (which table the row goes to).") var mode: String = "restart"
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
    @Option(name: .customLong("results-dir"), help: "Where results go (default <root>/benchmarks/results).") var resultsDir: String?

    func run() throws {
        if !knobs.isEmpty && !explore { throw UsageError("--knobs chooses among --explore's knobs: add --explore") }
        guard let benchMode = BenchMode(rawValue: mode) else { throw UsageError("--mode \(mode): expected restart or coldstart") }
        if let runs, !PlanNumber.runs.contains(runs) { throw UsageError("--runs \(runs): expected \(PlanNumber.runs.lowerBound)-\(PlanNumber.runs.upperBound)") }
        if let readyTimeout { try PlanNumber.check(readyTimeout, key: "--ready-timeout", in: PlanNumber.readyTimeout, at: "command line") }
        if let stopGrace { try PlanNumber.check(stopGrace, key: "--stop-grace", in: PlanNumber.stopGrace, at: "command line") }
        try runbook.requireNamedEnvFile()
        let context = CheckContext(options: .init(root: runbook.root, envFile: runbook.envFile, offline: offline))
        let redact = Redactor(secrets: context.secretValues)
        Output.redact = redact

        var benchPlan: BenchPlan
        if let plan { benchPlan = try BenchPlan.load(path: plan, context: context) }
        else { benchPlan = try BenchPlan.runbookDefault(context) }
        benchPlan.mode = benchMode
        if let runs { benchPlan.runs = runs }
        benchPlan.dropCaches = dropCaches
        benchPlan.offline = offline
        benchPlan.note = note
        if let readyTimeout { benchPlan.readyTimeout = readyTimeout }
        if let stopGrace { benchPlan.stopGrace = stopGrace }
        if explore {
            guard !wake else { throw UsageError("--explore already includes a sleep-mode variant: drop --wake") }
            guard let first = benchPlan.variants.first else { throw UsageError("--explore needs a plan with at least one variant") }
            benchPlan.variants = try Explore.select(Explore.variants(from: first, environment: context.processEnvironment), knobs: splitList(knobs))
            benchPlan.explore = true
            benchPlan.decodeProbeTokens = Explore.decodeTokens
            if runs == nil { benchPlan.runs = 1 }
        }
        if wake {
            guard let first = benchPlan.variants.first, case .command = first.launch else {
                throw UsageError("--wake needs the first variant to be a plain command; add `kind: wake` to the plan instead")
            }
            benchPlan.variants.append(Variant(name: "sleep-wake", kind: .wake, launch: first.launch, port: first.port))
        }
        if sleepLevel2 { for i in benchPlan.variants.indices where benchPlan.variants[i].kind == .wake { benchPlan.variants[i].sleepLevel = 2 } }
        if dropCaches && !InvokingUser.isRoot {
            throw UsageError("--drop-caches needs root (it writes /proc/sys/vm/drop_caches): re-run with sudo")
        }

        // Preflight: the check library, then the offline gate, which --ignore cannot lift. A plan
        // of plain commands does not need compose: its check only warns then.
        var ignored = splitList(ignore)
        if !benchPlan.usesCompose { ignored.append("runtime.compose") }
        let reports: [CheckReport]
        do { reports = try CheckRunner(checks: allChecks).run(context, selection: Selection(ignore: ignored)) }
        catch let e as SelectionError { throw UsageError(e.description) }
        let human = HumanRenderer(verbose: false, color: HumanRenderer.wantsColor(isTTY: Output.stderrIsTTY, environment: ProcessInfo.processInfo.environment), redact: redact)
        if offline {
            var needed = ["model.hf-cache"]
            if benchPlan.variants.contains(where: \.serverlessLLM) { needed.append("model.store") }
            let blocking = reports.filter { needed.contains($0.id) && $0.result.status != .pass }
            if !blocking.isEmpty {
                Output.err(human.render(blocking))
                Output.error("--offline: the servers would crash-loop (\(blocking.map(\.id).joined(separator: ", ")) not passing); warm the cache online first")
                throw ArgumentParser.ExitCode(DoctorExit.failed.rawValue)
            }
        }
        if reports.exitCode(strict: false) != .ok {
            Output.err(human.render(reports.filter { $0.result.status == .fail }))
            Output.error("preflight failed: fix the above or pass --ignore ID (not starting any server)")
            throw ArgumentParser.ExitCode(DoctorExit.failed.rawValue)
        }
        Output.err("preflight: \(CheckCounts(reports).pass) passed, \(CheckCounts(reports).warn) warnings\n")

        let stamp = Self.stamp(Date())
        let dir = resultsDir.map { context.absolute($0) } ?? FileFacts.join(context.root, "benchmarks/results")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let base = "\(benchMode.rawValue)_\(stamp)"
        let logDir = "\(dir)/\(base)_logs"

        // Any of these signals stops the server in flight; partial results are still written.
        // SIGPIPE is ignored: a closed terminal (ssh dropped) must not kill bench mid-write.
        let interrupt = InterruptFlag()
        signal(SIGPIPE, SIG_IGN)
        var sources: [DispatchSourceSignal] = []
        for sig in Self.stopSignals {
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler {
                Output.err("\nsllm-doctor: \(Self.signalName(sig)): stopping the server, writing partial results\n")
                interrupt.trigger()
            }
            src.resume()
            sources.append(src)
        }
        defer { sources.forEach { $0.cancel() } }

        let host = BenchHost.probe(root: context.root, commands: context.commands)
        let started = Date()
        var benchEnv = BenchEnvironment(processEnvironment: context.processEnvironment, logDir: logDir)
        benchEnv.redact = redact
        if benchPlan.usesCompose {
            benchEnv.compose = ComposeCLI.detect(environment: context.processEnvironment, commands: context.commands)
            benchPlan.composeLabel = benchEnv.compose?.label
            Output.err("compose: \(benchEnv.compose?.label ?? "none found")\n")
        }
        // Whatever ends bench (even SIGKILL), the watchdog stops the servers it left.
        switch Watchdog.start(executable: FileFacts.readLink("/proc/self/exe") ?? CommandLine.arguments[0]) {
        case .success(let w): benchEnv.watchdog = w
        case .failure(let e): Output.err("sllm-doctor: warning: no watchdog (\(e)): servers may outlive bench if it is killed\n")
        }
        defer { benchEnv.watchdog?.finish() }
        let runner = BenchRunner(plan: benchPlan, env: benchEnv,
                                 interrupt: interrupt) { Output.err(redact($0) + "\n") }
        var (records, partial) = runner.runAll()
        if benchPlan.explore && !partial, let base = benchPlan.variants.first,
           let combined = Explore.combined(from: base, report: ExploreReport(summaries: VariantSummary.summarize(benchPlan, records)),
                                           variants: benchPlan.variants) {
            // The knobs that helped, together: what the table's last row measures.
            Output.err("[explore] \(combined.knob ?? ""): running it\n")
            benchPlan.variants.append(combined)
            let more = runner.runAfter(combined)
            records += more.records
            partial = more.partial
        }
        var results = BenchResults(plan: benchPlan, host: host, summaries: VariantSummary.summarize(benchPlan, records),
                                   partial: partial, partialReason: runner.stoppedEarly, wallS: Date().timeIntervalSince(started))
        results.warmups = runner.warmups
        results.files = ("\(dir)/\(base).json", "\(dir)/\(base).svg", logDir)

        let jsonText = JSONRenderer(redact: redact).encode(results.jsonObject())
        try Data(jsonText.utf8).write(to: URL(fileURLWithPath: results.files!.json))
        try Data(redact(ReadyChart.svg(results)).utf8).write(to: URL(fileURLWithPath: results.files!.svg))
        let exploreSVG = "\(dir)/\(base)_explore.svg"
        if benchPlan.explore { try Data(redact(ExploreChart.svg(results)).utf8).write(to: URL(fileURLWithPath: exploreSVG)) }
        let readme = FileFacts.join(context.root, "benchmarks/README.md")
        // A table row is a claim; with no ok run there is nothing to claim.
        let okRuns = records.filter { $0.outcome == .ok }.count
        // A README that exists but cannot be read as text is left as it is, never replaced.
        var readmeText: String?
        var readmeProblem: InputReadError?
        do { readmeText = try BoundedRead.strictText(readme, limit: 16 << 20) } catch { if !error.isMissing { readmeProblem = error } }
        if okRuns > 0, readmeProblem == nil {
            let rel = dir.hasPrefix(FileFacts.join(context.root, "benchmarks") + "/") ? String(dir.dropFirst(FileFacts.join(context.root, "benchmarks").count + 1)) : dir
            let link = "[json](\(rel)/\(base).json) [svg](\(rel)/\(base).svg)"
            var updated = readmeText
            if benchPlan.explore {
                // Knobs are not baseline-vs-faststart: they get the explore table only.
                updated = BenchResults.insertRows(readme: updated, markers: BenchResults.exploreMarkers, header: BenchResults.exploreHeader,
                                                  rows: results.exploreRows(rawLink: link + " [chart](\(rel)/\(base)_explore.svg)"))
            } else {
                updated = BenchResults.insertRow(readme: updated, mode: benchMode, header: results.tableHeader, row: results.tableRow(rawLink: link))
                let others = results.variantRows(rawLink: link)
                if !others.isEmpty {
                    updated = BenchResults.insertRows(readme: updated, markers: BenchResults.variantMarkers,
                                                      header: BenchResults.variantsHeader, rows: others)
                }
            }
            try FileManager.default.createDirectory(atPath: FileFacts.parent(of: readme), withIntermediateDirectories: true)
            try AtomicFile.replace(readme, with: Data(redact(updated ?? "").utf8), backup: false)
        }
        var report = "\n" + Self.summaryTable(results) + "\n" + Self.phaseTables(results)
        if benchPlan.explore {
            let e = ExploreReport(summaries: results.summaries)
            report += "\nStart-up knobs (\(Explore.decodeTokens)-token decode probe after each start):\n"
            report += "| " + ExploreReport.header.joined(separator: " | ") + " |\n|" + ExploreReport.header.map { _ in "---" }.joined(separator: "|") + "|\n"
            for row in e.tableRows() { report += "| " + row.joined(separator: " | ") + " |\n" }
            report += "\n" + e.verdict + "\nexplore chart: \(exploreSVG)\n"
        }
        report += "\nresults: \(results.files!.json)\nchart:   \(results.files!.svg)\nlogs:    \(logDir)/\n"
        report += readmeProblem.map { "table:   not updated (\($0))\n" }
            ?? (okRuns > 0 ? "table:   \(readme)\n" : "table:   no row added (no run finished ok)\n")
        report += String(format: "wall %.1f s, of which %.1f s (%.1f %%) outside the servers' own start, completion and stop\n",
                         results.wallS, results.overheadS, results.wallS > 0 ? results.overheadS / results.wallS * 100 : 0)
        Output.err(redact(report))
        if json { Output.out(jsonText) }
        let anyFailed = records.contains { $0.outcome != .ok }
        if partial || anyFailed { throw ArgumentParser.ExitCode(DoctorExit.failed.rawValue) }
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

    static func summaryTable(_ r: BenchResults) -> String {
        var t = "| variant | ok runs | ready median (ms) | TTFT median (ms) | first completion median (s) | speed-up |\n|---|---:|---:|---:|---:|---:|\n"
        for s in r.summaries {
            let ok = s.runs.filter { $0.outcome == .ok }.count
            t += "| \(s.variant.name) | \(ok)/\(s.runs.count) | \(s.readyMedianMs.map { String(format: "%.0f", $0) } ?? "-") | \(s.ttftMedianMs.map { String(format: "%.1f", $0) } ?? "-") | \(s.completionMedianS.map { String(format: "%.3f", $0) } ?? "-") | \(s.speedup.map { String(format: "%.2f×", $0) } ?? "-") |\n"
            for run in s.runs where run.outcome != .ok {
                t += "|   run \(run.run): \(run.outcome.rawValue) | \(run.diagnosis ?? "") |||||\n"
            }
        }
        return t
    }

    static func phaseTables(_ r: BenchResults) -> String {
        var out = ""
        for s in r.summaries where !s.phaseMedians.isEmpty {
            out += "\nStart-up anatomy, \(s.variant.name) (median of ok runs):\n"
            out += AnatomyTable.render(phases: s.phaseMedians, ready: s.readyMedianMs.map { $0 / 1000 })
            // Findings of the median run (the one whose ready time is the median).
            let ok = s.runs.filter { $0.outcome == .ok && $0.readyMs != nil }
            if let m = s.readyMedianMs, let run = ok.min(by: { abs($0.readyMs! - m) < abs($1.readyMs! - m) }) {
                for f in run.findings { out += "  - \(f)\n" }
            }
        }
        return out
    }
}
