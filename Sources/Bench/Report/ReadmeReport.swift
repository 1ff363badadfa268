import Basics
import DoctorCore
import Foundation
import SystemProbes

/// benchmarks/README.md as a report over the results files: one table per kind of result
/// (restarts, cold starts, wake-ups, explored knobs), each between its markers, every variant a
/// row of its own. `bench report` and bench after its runs both write it through `update`.
public enum ReadmeReport {
    /// A README block: the text between two marker comments, which the report owns.
    public struct Block: Sendable, Equatable {
        public var start: String
        public var end: String
        init(_ name: String) { start = "<!-- \(name):START -->"; end = "<!-- \(name):END -->" }
    }

    public static let restart = Block("FASTRESTART")
    public static let coldstart = Block("BENCHMARKS")
    public static let wake = Block("SLLM-DOCTOR-WAKE")
    public static let explore = Block("SLLM-DOCTOR-EXPLORE")
    public static let ttft = Block("SLLM-DOCTOR-TTFT")
    /// Earlier versions' "other variants" block: its rows are now in the tables above.
    public static let formerVariants = Block("SLLM-DOCTOR-VARIANTS")

    /// One results file as the README shows it.
    public struct Entry: Sendable {
        public var document: ResultsDocument
        /// The Raw cell: links to the file and its charts.
        public var raw: String
        /// The results file it was read from (nil: built in memory).
        public var file: String?

        public init(document: ResultsDocument, raw: String, file: String? = nil) { self.document = document; self.raw = raw; self.file = file }

        /// A results file claims something only when a run finished ok.
        var hasOKRun: Bool { document.variants.contains { $0.okRuns > 0 } }
    }

    /// One TTFT probe's file as the README shows it.
    public struct ProbeEntry: Sendable {
        public var document: ProbeDocument
        public var raw: String
        public init(document: ProbeDocument, raw: String) { self.document = document; self.raw = raw }
    }

    /// The TTFT probes: the first token after a start and warm, with the decode's wall time.
    public static var ttftTable: ReportTable<ProbeEntry> {
        ReportTable([
            ReportColumn("Timestamp (UTC)") { $0.document.timestampUTC }, ReportColumn("Host") { $0.document.host },
            ReportColumn("GPU") { $0.document.gpu }, ReportColumn("Model") { $0.document.model },
            ReportColumn("Server") { $0.document.launch },
            ReportColumn("Max tokens", .right) { "\($0.document.maxTokens)" },
            ReportColumn("cold_1 TTFT (ms)", .right) { $0.document.cold.ttftMs.map { String(format: "%.1f", $0) } ?? "-" },
            ReportColumn("Warm TTFT median (ms)", .right) { $0.document.warmMedianTTFTMs.map { String(format: "%.1f", $0) } ?? "-" },
            ReportColumn("Warm wall median (s)", .right) { $0.document.warmMedianWallS.map { String(format: "%.3f", $0) } ?? "-" },
            ReportColumn("Cold penalty (x)", .right) { $0.document.coldPenalty.map { String(format: "%.2f", $0) } ?? "-" },
            ReportColumn("Warm runs ok", .right) { "\($0.document.warm.filter { $0.error == nil }.count)/\($0.document.warm.count)" },
            ReportColumn("Notes") { e in [e.document.note, e.document.verdict].filter { !$0.isEmpty }.joined(separator: ", ") },
            ReportColumn("Raw") { $0.raw },
        ])
    }

    /// What the README is a report over: the bench results, the probes (newest first) and the
    /// files another tool wrote (named, their rows left), each file read once.
    public struct Inputs: Sendable {
        public var entries: [Entry] = []
        public var probes: [ProbeEntry] = []
        public var foreign: [String] = []

        /// The Raw cells again, after charts were drawn beside the files (a link per chart that exists).
        public mutating func relink(readme: String) {
            let dir = FileFacts.parent(of: readme)
            for i in entries.indices { if let file = entries[i].file { entries[i].raw = ReadmeReport.links(json: file, readmeDir: dir) } }
        }
    }

    /// Reads every file once. One of ours that does not read is an error naming file and field.
    public static func read(files: [String], readme: String) throws -> Inputs {
        let readmeDir = FileFacts.parent(of: readme)
        var inputs = Inputs()
        for file in files {
            if ProbeDocument.isProbeFile(file) {
                inputs.probes.append(ProbeEntry(document: try ProbeDocument.read(file: file), raw: links(json: file, readmeDir: readmeDir)))
                continue
            }
            let text: String
            do { text = try BoundedRead.strictText(file, limit: ResultsDocument.readLimit) }
            catch { throw ResultsReadError(file: file, path: "$", expected: "a readable results file (\(error.reason))") }
            guard isOurs(text) else { inputs.foreign.append(file); continue }
            let doc = try ResultsDocument.parse(text, file: file)
            try checkReference(doc, of: file)
            inputs.entries.append(Entry(document: doc, raw: links(json: file, readmeDir: readmeDir), file: file))
        }
        inputs.probes.sort { $0.document.timestampUTC > $1.document.timestampUTC }
        return inputs
    }

    /// A variant's row: the bench's notes go on its first row only.
    public struct VariantRow {
        public var entry: Entry
        public var variant: ResultsDocument.Variant
        public var firstOfBench: Bool
        var doc: ResultsDocument { entry.document }
    }

    public struct ExploreLine {
        public var entry: Entry
        public var row: ResultsDocument.ExploreRow
        var doc: ResultsDocument { entry.document }
        var variant: ResultsDocument.Variant? { doc.variants.first { $0.name == row.variant } }
    }

    static var benchColumns: [ReportColumn<VariantRow>] {
        [ReportColumn("Timestamp (UTC)") { $0.doc.timestampUTC }, ReportColumn("Git SHA") { $0.doc.gitSHA },
         ReportColumn("Host") { $0.doc.host }, ReportColumn("GPU") { $0.doc.gpu }, ReportColumn("Model") { $0.doc.model ?? "-" }]
    }

    /// Restarts (and cold starts): a snapshot restore is a restart too.
    public static var restartTable: ReportTable<VariantRow> {
        ReportTable(benchColumns + [
            ReportColumn("Variant") { $0.variant.name },
            ReportColumn("Runs ok", .right) { "\($0.variant.okRuns)/\($0.variant.runs.count)" },
            ReportColumn("Ready median (ms)", .right) { Cell.ms($0.variant.median.readyMs) },
            ReportColumn("TTFT median (ms)", .right) { Cell.ms($0.variant.median.ttftMs) },
            ReportColumn("First completion median (s)", .right) { Cell.s3($0.variant.median.firstCompletionS) },
            ReportColumn("Speed-up vs first variant (x)", .right) { Cell.x2($0.variant.speedupVsBaseline) },
            ReportColumn("Speed-up vs vLLM as given (x)", .right) { Cell.x2($0.doc.speedupVsAsGiven($0.variant)) },
            ReportColumn("Notes") { notes($0) },
            ReportColumn("Raw") { $0.entry.raw },
        ])
    }

    /// Wake-ups: a sleeping server woken, never a restart; the speed-ups say what it replaces.
    public static var wakeTable: ReportTable<VariantRow> {
        ReportTable(benchColumns + [
            ReportColumn("Variant") { $0.variant.name },
            ReportColumn("Sleep level", .right) { $0.variant.sleepLevel.map(String.init) ?? "-" },
            ReportColumn("Runs ok", .right) { "\($0.variant.okRuns)/\($0.variant.runs.count)" },
            ReportColumn("Wake-up median (ms)", .right) { Cell.ms($0.variant.median.readyMs) },
            ReportColumn("Sleep median (ms)", .right) { Cell.ms(median($0.variant.runs.filter { $0.outcome == .ok }.compactMap(\.sleepMs))) },
            ReportColumn("First completion median (s)", .right) { Cell.s3($0.variant.median.firstCompletionS) },
            ReportColumn("Sleep frees GPU (GiB)", .right) { Cell.s1($0.variant.runs.lazy.compactMap(\.sleepFreedGPUGiB).first) },
            ReportColumn("Sleeping weights in CPU (GiB)", .right) { Cell.s1($0.variant.runs.lazy.compactMap(\.sleepCPUBackupGiB).first) },
            ReportColumn("Speed-up vs first variant's restart (x)", .right) { Cell.x2($0.variant.speedupVsBaseline) },
            ReportColumn("Speed-up vs vLLM as given (x)", .right) { Cell.x2($0.doc.speedupVsAsGiven($0.variant)) },
            ReportColumn("Notes") { notes($0) },
            ReportColumn("Raw") { $0.entry.raw },
        ])
    }

    /// `bench --explore`: each knob against the bench's first variant, and what it costs after ready.
    public static var exploreTable: ReportTable<ExploreLine> {
        ReportTable([
            ReportColumn("Timestamp (UTC)") { $0.doc.timestampUTC }, ReportColumn("Host") { $0.doc.host },
            ReportColumn("GPU") { $0.doc.gpu }, ReportColumn("Model") { $0.doc.model ?? "-" },
        ] + knobColumns(asGiven: true) + [ReportColumn("Raw") { $0.entry.raw }])
    }

    /// The knob columns, shared by the README's explore table and the terminal's.
    static func knobColumns(asGiven: Bool) -> [ReportColumn<ExploreLine>] {
        let vsAsGiven = ReportColumn<ExploreLine>("Speed-up vs vLLM as given (x)", .right) { line in
            Cell.x2(line.doc.asGivenReadyMedianMs.flatMap { ref in line.row.readyMedianS.map { ref / ($0 * 1000) } })
        }
        return [
            ReportColumn("Variant") { $0.row.variant + ($0.row.kind == .wake ? " (wake-up)" : "") },
            ReportColumn("Knob") { $0.row.knob },
            ReportColumn("Runs ok", .right) { "\($0.row.okRuns)/\($0.row.runs)" },
            ReportColumn("Ready median (s)", .right) { Cell.s2($0.row.readyMedianS) },
            ReportColumn("Speedup (x)", .right) { Cell.x2($0.row.speedup) },
        ] + (asGiven ? [vsAsGiven] : []) + [
            ReportColumn("First completion (s)", .right) { Cell.s3($0.row.firstCompletionS) },
            ReportColumn("Decode (tok/s)", .right) { Cell.s1($0.row.decodeTokensPerS) },
            ReportColumn("Decode vs first (%)", .right) { Cell.signed1($0.row.decodeChangePct) },
            ReportColumn("Compile cache") { $0.row.compileCache ?? "-" },
            ReportColumn("Biggest phases, s") { biggestPhases($0.variant?.median.phasesS ?? [:]) },
        ]
    }

    /// The three largest phases of a start, as the explore table shows them.
    public static func biggestPhases(_ phases: [String: Double]) -> String {
        let top = phases.filter { $0.value >= 0.05 }.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.prefix(3)
            .map { "\($0.key) \(String(format: "%.1f", $0.value))" }.joined(separator: ", ")
        return top.isEmpty ? "-" : top
    }

    /// The bench's own notes (flags, note, compose, templates, snapshot images, a partial run)
    /// on its first row; every row its variant's (store restarts, compile-cache misses, failures).
    static func notes(_ r: VariantRow) -> String {
        let parts = (r.firstOfBench ? commonNotes(r.doc) : []) + variantNotes(r.variant)
        return parts.isEmpty ? "-" : parts.joined(separator: ", ")
    }

    static func commonNotes(_ d: ResultsDocument) -> [String] {
        var parts: [String] = []
        if d.flags.dropCaches { parts.append("drop_caches=1") }
        if d.flags.offline { parts.append("offline=1") }
        if !d.note.isEmpty { parts.append("note=\(d.note)") }
        if let c = d.compose { parts.append("compose=\(c)") }
        for t in d.templates {
            let starts = t.starts.map { s in
                (ms: s.readyMs, status: s.modules.map {
                    TemplateStatus(pid: s.pid ?? 0, modules: $0, rssBytes: s.rssBytes, loadS: s.loadS ?? 0, stale: [], cudaInitialised: false)
                })
            }
            parts.append(TemplateReport(python: t.python, socket: t.socket, starts: starts, crashes: t.crashes).note)
        }
        for s in d.snapshots {
            parts.append(SnapshotReport(variant: s.variant, image: s.image, imageBytes: s.imageBytes, made: s.made, freshStartS: s.freshStartS,
                                        createS: s.createS, checkpointS: s.checkpointS, dumpS: s.dumpS, log: s.freshLog).note)
        }
        if let ref = d.reference { parts.append("vLLM as given: \(ref.variant) of \(ref.file)") }
        if d.partial { parts.append("PARTIAL (\(d.partialReason ?? "interrupted"))") }
        return parts
    }

    static func variantNotes(_ v: ResultsDocument.Variant) -> [String] {
        var parts: [String] = []
        if v.vllmAsGiven { parts.append("vllm_as_given: the reference of the vs-vLLM-as-given column") }
        if v.runs.contains(where: \.storeRestarted) { parts.append("store restarted before each run") }
        let misses = v.runs.filter { $0.findings.contains { $0.hasPrefix("compile cache missed") } }
        if !misses.isEmpty { parts.append("compile cache missed in run " + misses.map { String($0.run) }.joined(separator: ", ")) }
        let failed = v.runs.filter { $0.outcome != .ok }
        if !failed.isEmpty { parts.append("\(failed.count) run(s) failed: " + failed.map { "#\($0.run) \($0.outcome.rawValue)" }.joined(separator: " ")) }
        return parts
    }

    /// Each block's table over the entries, newest bench first (nil: no row for it).
    public static func tables(_ entries: [Entry]) -> [(block: Block, table: MarkdownTable?)] {
        let shown = entries.filter(\.hasOKRun).sorted { $0.document.timestampUTC > $1.document.timestampUTC }
        func rows(_ mode: BenchMode, _ kind: VariantKind) -> [VariantRow] {
            shown.filter { $0.document.explore == nil && $0.document.mode == mode }.flatMap { e in
                e.document.variants.filter { $0.kind == kind }.enumerated().map { VariantRow(entry: e, variant: $0.element, firstOfBench: $0.offset == 0) }
            }
        }
        let explored = shown.flatMap { e in (e.document.explore?.rows ?? []).map { ExploreLine(entry: e, row: $0) } }
        let restarts = rows(.restart, .restart), colds = rows(.coldstart, .restart)
        let wakes = rows(.restart, .wake) + rows(.coldstart, .wake)
        return [
            (restart, restarts.isEmpty ? nil : restartTable.markdown(restarts)),
            (coldstart, colds.isEmpty ? nil : restartTable.markdown(colds)),
            (wake, wakes.isEmpty ? nil : wakeTable.markdown(wakes)),
            (explore, explored.isEmpty ? nil : exploreTable.markdown(explored)),
        ]
    }

    /// The README with every block rebuilt from the entries. Text outside the markers is kept
    /// byte for byte; inside, rows that link to none of the entries' files (an earlier tool's)
    /// are kept below, under their own header; a block with nothing to show is left out.
    public static func update(_ readme: String?, entries: [Entry], probes: [ProbeEntry] = []) -> String {
        var text = readme ?? "# Benchmarks\n"
        let ours = entries.compactMap { jsonLink(Substring($0.raw)) } + probes.compactMap { jsonLink(Substring($0.raw)) }
        let probeTable = probes.isEmpty ? nil : ttftTable.markdown(probes)
        for (block, table) in tables(entries) + [(ttft, probeTable), (formerVariants, nil)] {
            text = replace(block, in: text, table: table, ownLinks: Set(ours), ourHeaders: ourHeaders)
        }
        return text
    }

    /// The header lines of this version's tables: a row under one of them is ours, and a row of
    /// ours whose results file is not among the entries (deleted, or no longer ours) is stale.
    static var ourHeaders: Set<String> {
        [restartTable.markdown([]).headerLine, wakeTable.markdown([]).headerLine, exploreTable.markdown([]).headerLine,
         ttftTable.markdown([]).headerLine]
    }

    /// Every block's markers paired, once each, START before END; nil when they are. A README
    /// whose markers are not is left as it is: which text is ours to replace is then a guess.
    public static func markerProblem(_ text: String) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for block in [restart, coldstart, wake, explore, ttft, formerVariants] {
            var starts: [Int] = [], ends: [Int] = []
            for (n, line) in lines.enumerated() {
                if line.contains(block.start) { starts.append(n + 1) }
                if line.contains(block.end) { ends.append(n + 1) }
            }
            if starts.count > 1 { return "line \(starts[1]): a second \(block.start) (the first is on line \(starts[0])): expected one START and one END" }
            if ends.count > 1 { return "line \(ends[1]): a second \(block.end) (the first is on line \(ends[0])): expected one START and one END" }
            switch (starts.first, ends.first) {
            case (let s?, nil): return "line \(s): \(block.start) has no \(block.end) after it"
            case (nil, let e?): return "line \(e): \(block.end) has no \(block.start) before it"
            case (let s?, let e?) where e <= s: return "line \(e): \(block.end) comes before its \(block.start) (line \(s))"
            default: continue
            }
        }
        return nil
    }

    static func replace(_ block: Block, in text: String, table: MarkdownTable?, ownLinks: Set<String>, ourHeaders: Set<String> = []) -> String {
        var text = text
        guard let s = text.range(of: block.start), let e = text.range(of: block.end, range: s.upperBound..<text.endIndex) else {
            guard let table else { return text }
            if !text.hasSuffix("\n") { text += "\n" }
            return text + "\n\(block.start)\n" + table.text + "\(block.end)\n"
        }
        let kept = keptTables(text[s.upperBound..<e.lowerBound], ownLinks: ownLinks, ourHeaders: ourHeaders)
        let parts = (table.map { [$0.text] } ?? []) + kept
        if parts.isEmpty && block != formerVariants {
            // The user's markers stay, with nothing between them, for the rows a later bench makes.
            text.replaceSubrange(s.upperBound..<e.lowerBound, with: "\n")
            return text
        }
        if parts.isEmpty {
            // Nothing left to show: the block goes, with the blank line before it.
            var from = s.lowerBound
            if text[..<from].hasSuffix("\n\n") { from = text.index(before: from) }
            var to = e.upperBound
            if text[to...].hasPrefix("\n") { to = text.index(after: to) }
            text.removeSubrange(from..<to)
            return text
        }
        text.replaceSubrange(s.upperBound..<e.lowerBound, with: "\n" + parts.joined(separator: "\n"))
        return text
    }

    /// The tables inside a block, each with only its rows that link to none of our files; a
    /// table under one of our own headers keeps nothing (its rows are rebuilt, or stale).
    static func keptTables(_ inside: Substring, ownLinks: Set<String>, ourHeaders: Set<String> = []) -> [String] {
        var out: [String] = []
        var lines = inside.split(separator: "\n", omittingEmptySubsequences: false)[...]
        while let i = lines.firstIndex(where: { $0.hasPrefix("|") }) {
            let table = lines[i...].prefix { $0.hasPrefix("|") }
            lines = lines[(i + table.count)...]
            guard table.count > 2, !ourHeaders.contains(String(table[table.startIndex])) else { continue }
            let rows = table.dropFirst(2).filter { row in jsonLink(row).map { !ownLinks.contains($0) } ?? true }
            if !rows.isEmpty { out.append((table.prefix(2) + rows).map { $0 + "\n" }.joined()) }
        }
        return out
    }

    /// A row's `[json](…)` link, as the Raw cell writes it (one scan of the row).
    static func jsonLink(_ row: Substring) -> String? {
        guard let start = row.range(of: "[json](") else { return nil }
        guard let close = row[start.upperBound...].firstIndex(of: ")") else { return nil }
        return String(row[start.lowerBound...close])
    }

    // MARK: - The files

    /// The results files of a folder: `restart_*.json`, `coldstart_*.json` and probes' `probe_*.json`.
    public static func resultsFiles(in dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir)
            .filter { ($0.hasPrefix("restart_") || $0.hasPrefix("coldstart_") || $0.hasPrefix("probe_")) && $0.hasSuffix(".json") }
            .sorted().map { FileFacts.join(dir, $0) }
    }

    /// Each file read as a results document, with its links as the README (at `readme`) writes
    /// them. A file an earlier tool wrote (no `"tool": "sllm-doctor"`) is not ours: skipped, its
    /// rows left as they are; one of ours that does not read is an error naming file and field.
    public static func entries(files: [String], readme: String) throws -> [Entry] {
        try read(files: files, readme: readme).entries
    }

    /// A `reference` names a file and a variant and copies its ready median. When that file is
    /// there (beside this one, or where the name leads), the copy must be what the file says: a
    /// column of speed-ups is only as true as the number it divides by.
    static func checkReference(_ doc: ResultsDocument, of file: String) throws {
        guard let ref = doc.reference else { return }
        let path = ref.file.hasPrefix("/") ? ref.file : FileFacts.join(FileFacts.parent(of: file), ref.file)
        guard FileFacts.isFile(path) else { return }   // kept elsewhere: the row names it
        let other = try ResultsDocument.read(file: path)
        guard let v = other.variants.first(where: { $0.name == ref.variant }) else {
            throw ResultsReadError(file: file, path: "$.reference.variant", expected: "a variant of \(ref.file) (it has \(other.variants.map(\.name).joined(separator: ", ")))")
        }
        guard let ready = v.median.readyMs, abs(ready - ref.readyMedianMs) < 0.05 else {
            throw ResultsReadError(file: file, path: "$.reference.ready_median_ms",
                                   expected: "\(v.median.readyMs.map { String($0) } ?? "a ready median"), as \(ref.file)#\(ref.variant) says (the file holds \(ref.readyMedianMs))")
        }
    }

    /// Another tool's file is a JSON object with keys of its own: anything else (not JSON, not an
    /// object, an empty one) goes to the reader, which says what a results file needs.
    static func isOurs(_ text: String) -> Bool {
        guard let v = try? JSONLite.parse(Array(text.utf8)), let o = v.object, !o.isEmpty else { return true }
        return v["tool"]?.string == Tool.name || v["tool"] == nil && v["variants"] != nil
    }

    /// The Raw cell: the JSON, and the charts beside it that exist.
    static func links(json: String, readmeDir: String) -> String {
        let stem = String(json.dropLast(".json".count))
        func link(_ path: String) -> String { path.hasPrefix(readmeDir + "/") ? String(path.dropFirst(readmeDir.count + 1)) : path }
        var cell = "[json](\(link(json)))"
        if FileFacts.isFile(stem + ".svg") { cell += " [svg](\(link(stem + ".svg")))" }
        if FileFacts.isFile(stem + "_explore.svg") { cell += " [chart](\(link(stem + "_explore.svg")))" }
        return cell
    }
}
