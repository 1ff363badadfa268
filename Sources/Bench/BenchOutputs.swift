import DoctorCore
import Foundation
import Startup
import SystemProbes
import Runbook
import Basics

/// A bench's results as files (JSON, SVG charts, README rows) and as the terminal's report.
public enum BenchOutputs {
    public enum ReadmeUpdate: Sendable, Equatable {
        case updated
        /// No run finished ok: a row is a claim, and there is nothing to claim.
        case noRow
        /// The README exists but cannot be read as text: it is left as it is, never replaced.
        case unreadable(InputReadError)
        /// The README is there but is not a file bench may replace (a link, say): left as it is.
        case refused(OutputFileError)
        /// A results file in the folder does not read: the README is left as it is.
        case resultsUnreadable(ResultsReadError)
        /// The README's markers are unpaired, repeated or out of order: left as it is.
        case markers(String)
        /// Asked only to compare (`bench report --check`): the README is not what the results make it.
        case wouldChange
        /// The README already held what the results make it.
        case unchanged
    }

    public struct Written: Sendable {
        /// The results as written: the document, and its JSON (also what `--json` prints).
        public var document: ResultsDocument
        public var jsonText: String
        public var readme: ReadmeUpdate
    }

    /// The first output bench could not write (`OutputFile`'s rule), checked before the runs so
    /// that an hour of restarts never ends in a refusal.
    public static func outputProblem(_ paths: BenchPaths, explore: Bool) -> OutputFileError? {
        // The README is not among them: one that cannot be replaced is left as it is and named.
        let files = [paths.json, paths.svg] + (explore ? [paths.exploreSVG] : [])
        for file in files { if let p = OutputFile.problem(file) { return p } }
        return nil
    }

    public static func write(_ results: BenchResults, to paths: BenchPaths, redact: Redactor) throws -> Written {
        var results = results
        results.files = (paths.json, paths.svg, paths.logs)
        try FileManager.default.createDirectory(atPath: paths.dir, withIntermediateDirectories: true)
        // Measured → the document → its JSON, its charts and the README: the exporters that
        // `bench report` runs on the files.
        let document = results.document
        let jsonText = redact.json(document.json()).prettyText() + "\n"
        try OutputFile.write(paths.json, text: jsonText)
        try writeCharts(document, json: paths.json, redact: redact)
        return Written(document: document, jsonText: jsonText, readme: try updateReadme(results, paths, redact))
    }

    /// A results file's charts beside it: `<stem>.svg`, and `<stem>_explore.svg` when it explored.
    public static func writeCharts(_ document: ResultsDocument, json: String, redact: Redactor) throws {
        let stem = json.hasSuffix(".json") ? String(json.dropLast(".json".count)) : json
        try OutputFile.write(stem + ".svg", text: redact(ReadyChart.svg(document)))
        if document.explore != nil { try OutputFile.write(stem + "_explore.svg", text: redact(ExploreChart.svg(document))) }
    }

    /// The charts beside `json` that are not what `writeCharts` would write for `document`
    /// (missing or different): what `bench report --check --svg` names.
    public static func staleCharts(_ document: ResultsDocument, json: String, redact: Redactor = Redactor(secrets: [])) -> [String] {
        let stem = json.hasSuffix(".json") ? String(json.dropLast(".json".count)) : json
        var expected = [(stem + ".svg", redact(ReadyChart.svg(document)))]
        if document.explore != nil { expected.append((stem + "_explore.svg", redact(ExploreChart.svg(document)))) }
        return expected.filter { path, text in (try? BoundedRead.strictText(path, limit: 16 << 20)) != text }.map(\.0)
    }

    static func updateReadme(_ results: BenchResults, _ paths: BenchPaths, _ redact: Redactor) throws -> ReadmeUpdate {
        guard results.summaries.contains(where: { $0.runs.contains { $0.outcome == .ok } }) else { return .noRow }
        let inputs: ReadmeReport.Inputs
        do { inputs = try ReadmeReport.read(files: try ReadmeReport.resultsFiles(in: paths.dir), readme: paths.readme) }
        catch let e as ResultsReadError { return .resultsUnreadable(e) }
        return try rebuildReadme(paths.readme, inputs: inputs, redact: redact)
    }

    /// The README's tables rebuilt from the results files: what bench does after its runs and
    /// `bench report` does on its own, so the two write the same bytes.
    /// `write: false` compares only (`.unchanged` or `.wouldChange`). A README that exists but is
    /// not a file bench may replace (a link, a device) is refused in both, before it is read.
    public static func rebuildReadme(_ readme: String, inputs: ReadmeReport.Inputs, redact: Redactor, write: Bool = true) throws -> ReadmeUpdate {
        if FileFacts.exists(readme) || FileFacts.readLink(readme) != nil, let problem = OutputFile.problem(readme) { return .refused(problem) }
        var text: String?
        do { text = try BoundedRead.strictText(readme, limit: 16 << 20) } catch {
            if !error.isMissing { return .unreadable(error) }
        }
        if let text, let problem = ReadmeReport.markerProblem(text) { return .markers("\(readme): \(problem)") }
        let rebuilt = redact(ReadmeReport.update(text, entries: inputs.entries, probes: inputs.probes))
        if rebuilt == text { return .unchanged }
        guard write else { return .wouldChange }
        // No folder is made here: a README named in a folder that is not there is refused.
        if let problem = OutputFile.problem(readme) { return .refused(problem) }
        try OutputFile.write(readme, text: rebuilt)
        return .updated
    }

    /// What the terminal shows after the runs: the summary, each variant's anatomy, the
    /// explore table and verdict, where the files are, and bench's own overhead.
    public static func terminalReport(_ results: BenchResults, paths: BenchPaths, readme: ReadmeUpdate) -> String {
        terminalReport(results.document, paths: paths, readme: readme)
    }

    /// The terminal's report of a results document (what bench just wrote).
    public static func terminalReport(_ doc: ResultsDocument, paths: BenchPaths, readme: ReadmeUpdate) -> String {
        var report = "\n" + TerminalReport.summary.markdown(TerminalReport.summaryLines(doc)).text + "\n" + TerminalReport.phaseTables(doc)
        if let e = doc.explore {
            report += "\nStart-up knobs (\(Explore.decodeTokens)-token decode probe after each start):\n"
            report += TerminalReport.knobs.markdown(e.rows.map { ReadmeReport.ExploreLine(entry: .init(document: doc, raw: ""), row: $0) }, aligned: false).text
            report += "\n" + e.verdict + "\nexplore chart: \(paths.exploreSVG)\n"
        }
        report += "\nresults: \(paths.json)\nchart:   \(paths.svg)\nlogs:    \(paths.logs)/\n"
        switch readme {
        case .updated: report += "table:   \(paths.readme)\n"
        case .unchanged: report += "table:   \(paths.readme) (unchanged)\n"
        case .noRow: report += "table:   no row added (no run finished ok)\n"
        case .unreadable(let why): report += "table:   not updated (\(why))\n"
        case .refused(let why): report += "table:   not updated (\(why))\n"
        case .markers(let why): report += "table:   not updated (\(why))\n"
        case .wouldChange: report += "table:   not updated\n"
        case .resultsUnreadable(let why): report += "table:   not updated (\(why))\n"
        }
        report += String(format: "wall %.1f s, of which %.1f s (%.1f %%) outside the servers' own start, completion and stop\n",
                         doc.wallS, doc.overheadS, doc.wallS > 0 ? doc.overheadS / doc.wallS * 100 : 0)
        return report
    }
}
