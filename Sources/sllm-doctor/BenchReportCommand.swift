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
        var inputs: ReadmeReport.Inputs
        do { inputs = try ReadmeReport.read(files: chosen, readme: readme) } catch let e as ResultsReadError { throw UsageError(e.description) }
        let redact = Redactor(secrets: [])
        if check {
            // With --svg the charts are checked too: each must be the chart of its file.
            let staleCharts = svg ? inputs.entries.flatMap { e in e.file.map { BenchOutputs.staleCharts(e.document, json: $0) } ?? [] } : []
            for chart in staleCharts { Output.error("\(chart): not the chart of its results file (run `sllm-doctor bench report --svg`)") }
            switch try BenchOutputs.rebuildReadme(readme, inputs: inputs, redact: redact, write: false) {
            case .unchanged:
                if staleCharts.isEmpty { Output.err("\(readme): up to date\n"); return }
            case .wouldChange: Output.error("\(readme): not what the results make it (run `sllm-doctor bench report`)")
            case .refused(let e): throw UsageError("\(e.description) (bench report does not write it either)")
            case let other: try Self.fail(other)
            }
            throw ExitCode(DoctorExit.failed.rawValue)
        }
        if svg {
            for e in inputs.entries { if let file = e.file { try BenchOutputs.writeCharts(e.document, json: file, redact: redact) } }
            Output.err("charts redrawn for \(inputs.entries.count) results file(s)\n")
            inputs.relink(readme: readme)
        }
        switch try BenchOutputs.rebuildReadme(readme, inputs: inputs, redact: redact) {
        case .updated: Output.err("\(readme): rebuilt from \(chosen.count) results file(s)\n")
        case .unchanged: Output.err("\(readme): unchanged (\(chosen.count) results file(s))\n")
        case let other: try Self.fail(other)
        }
        if !inputs.foreign.isEmpty {
            Output.err("skipped \(inputs.foreign.count) file(s) sllm-doctor did not write (their rows are left as they are): "
                       + inputs.foreign.map { TerminalSafe.line(String($0.split(separator: "/").last ?? Substring($0))) }.joined(separator: ", ") + "\n")
        }
    }

    /// A README that was not written, as the user's error (exit 2).
    static func fail(_ update: BenchOutputs.ReadmeUpdate) throws {
        switch update {
        case .resultsUnreadable(let e): throw UsageError(e.description)
        case .unreadable(let e): throw UsageError("\(e)")
        case .refused(let e): throw UsageError(e.description)
        case .markers(let why): throw UsageError(why)
        case .noRow, .updated, .unchanged, .wouldChange: return
        }
    }
}
