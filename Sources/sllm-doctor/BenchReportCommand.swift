import ArgumentParser
import Bench
import DoctorCore
import Foundation
import SystemProbes
import Basics

/// `bench report`: benchmarks/README.md rebuilt from the results files, through the code bench
/// itself runs after a bench (so the README is what the committed JSON says, byte for byte).
struct BenchReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rebuild the tables of benchmarks/README.md from results files.",
        discussion: """
        Reads each results file (default: restart_*.json and coldstart_*.json in <root>/benchmarks/results) \
        and rewrites every table between the README's markers: restarts, cold starts, wake-ups and \
        explored knobs, one row per variant. Text outside the markers is kept. A file that does not \
        read is named with the JSON path of what is missing (exit 2).
        """)

    /// bench's own (`--root`): the parent command parses it, so the subcommand shares it.
    @OptionGroup var runbook: RunbookOptions
    @OptionGroup var results: ResultsFolderOption
    @Option(help: "The README to rebuild (default <root>/benchmarks/README.md).") var readme: String?
    @Flag(help: "Change nothing; exit 1 when the README is not what the results make it.") var check = false
    @Flag(help: "Also redraw each file's charts beside it (<stem>.svg, <stem>_explore.svg) from its results.") var svg = false
    @Argument(help: "Results files (default: those of the results folder).") var files: [String] = []

    func run() throws {
        let cwd = FileManager.default.currentDirectoryPath
        // Standardised ("." and ".." resolved), so the README's links to the files come out relative.
        func absolute(_ p: String, from base: String) -> String {
            URL(fileURLWithPath: p.hasPrefix("/") ? p : FileFacts.join(base, p)).standardizedFileURL.path
        }
        let root = absolute(runbook.root, from: cwd)
        let readme = readme.map { absolute($0, from: cwd) } ?? FileFacts.join(root, "benchmarks/README.md")
        let dir = results.resultsDir.map { absolute($0, from: cwd) } ?? FileFacts.join(root, "benchmarks/results")
        let chosen: [String]
        if files.isEmpty {
            guard FileFacts.exists(dir) else { throw UsageError("\(dir): no such folder (expected the results files there; --results-dir names another)") }
            guard !FileFacts.isFile(dir) else { throw UsageError("\(dir): a file, not a folder (expected the folder of the results files)") }
            do { chosen = try ReadmeReport.resultsFiles(in: dir) } catch { throw UsageError("\(dir): cannot list the folder (\(error.localizedDescription))") }
            if chosen.isEmpty { throw UsageError("\(dir): no results files (restart_*.json, coldstart_*.json, probe_*.json)") }
        } else {
            chosen = files.map { absolute($0, from: cwd) }
        }
        if check {
            // A README bench report would refuse to write is named as such, not "run bench report".
            if FileFacts.exists(readme) || FileFacts.readLink(readme) != nil, let problem = OutputFile.problem(readme) {
                throw UsageError("\(problem) (bench report does not write it either)")
            }
            let current = try? BoundedRead.strictText(readme, limit: 16 << 20)
            let entries: [ReadmeReport.Entry], probes: [ReadmeReport.ProbeEntry]
            do {
                entries = try ReadmeReport.entries(files: chosen, readme: readme)
                probes = try ReadmeReport.probeEntries(files: chosen, readme: readme)
            } catch let e as ResultsReadError { throw UsageError(e.description) }
            if let current, let problem = ReadmeReport.markerProblem(current) { throw UsageError("\(readme): \(problem)") }
            // With --svg the charts are checked too: each must be the chart of its file.
            let staleCharts = svg ? entries.flatMap { e in e.file.map { BenchOutputs.staleCharts(e.document, json: $0) } ?? [] } : []
            for chart in staleCharts { Output.error("\(chart): not the chart of its results file (run `sllm-doctor bench report --svg`)") }
            let readmeCurrent = ReadmeReport.update(current, entries: entries, probes: probes) == current
            if readmeCurrent && staleCharts.isEmpty { Output.err("\(readme): up to date\n"); return }
            if readmeCurrent { throw ExitCode(DoctorExit.failed.rawValue) }
            Output.error("\(readme): not what the results make it (run `sllm-doctor bench report`)")
            throw ExitCode(DoctorExit.failed.rawValue)
        }
        if svg {
            for file in chosen where !ProbeDocument.isProbeFile(file) {
                let doc: ResultsDocument
                do { doc = try ResultsDocument.read(file: file) } catch let e as ResultsReadError { throw UsageError(e.description) }
                try BenchOutputs.writeCharts(doc, json: file, redact: Redactor(secrets: []))
            }
            Output.err("charts redrawn for \(chosen.filter { !ProbeDocument.isProbeFile($0) }.count) results file(s)\n")
        }
        switch try BenchOutputs.rebuildReadme(readme, files: chosen, redact: Redactor(secrets: [])) {
        case .updated: Output.err("\(readme): rebuilt from \(chosen.count) results file(s)\n")
        case .unchanged: Output.err("\(readme): unchanged (\(chosen.count) results file(s))\n")
        case .noRow: Output.err("\(readme): no results to show\n")
        case .resultsUnreadable(let e): throw UsageError(e.description)
        case .unreadable(let e): throw UsageError("\(e)")
        case .refused(let e): throw UsageError(e.description)
        case .markers(let why): throw UsageError(why)
        }
        let foreign = ReadmeReport.foreignFiles(chosen)
        if !foreign.isEmpty {
            Output.err("skipped \(foreign.count) file(s) sllm-doctor did not write (their rows are left as they are): "
                       + foreign.map { TerminalSafe.line(String($0.split(separator: "/").last ?? Substring($0))) }.joined(separator: ", ") + "\n")
        }
    }
}
