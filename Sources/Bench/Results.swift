import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// Facts about where the benchmark ran, for the results and the table row.
public struct BenchHost: Sendable {
    public var timestamp: Date
    public var gitSHA: String
    public var host: String
    public var gpu: String

    public static func probe(root: String, commands: CommandRunning) -> BenchHost {
        // The benchmarked repository's HEAD (the folder holding .env and vllm_bridge/), not the tool's.
        var sha = "-"
        if FileFacts.gitWorkTree(containing: root) != nil,
           case .success(let o) = commands.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], timeout: 5), o.status == 0 {
            sha = o.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var gpu = "none"
        if case .ok(let inv) = GPUInventory.query(commands), !inv.gpus.isEmpty { gpu = inv.summary }
        return BenchHost(timestamp: Date(), gitSHA: sha, host: hostName(), gpu: gpu)
    }

    /// What `hostname` prints (gethostname): Foundation's hostName may resolve to an FQDN or an address.
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "-" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Per-variant medians over successful runs (wake variants: run 0 is the cold start, kept apart).
public struct VariantSummary: Sendable {
    public var variant: Variant
    public var runs: [RunRecord]
    public var coldStart: RunRecord?
    public var readyMedianMs: Double?
    public var ttftMedianMs: Double?
    public var completionMedianS: Double?
    public var speedup: Double?
    public var phaseMedians: [String: Double]

    public static func summarize(_ plan: BenchPlan, _ records: [RunRecord]) -> [VariantSummary] {
        let out = plan.variants.map { summary(of: $0, records) }
        return out.map { $0.withSpeedup(over: out.first) }
    }

    /// One variant's medians over its ok runs; no speed-up yet (that needs the baseline's).
    public static func summary(of v: Variant, _ records: [RunRecord]) -> VariantSummary {
        let mine = records.filter { $0.variant == v.name && $0.run > 0 }
        let ok = mine.filter { $0.outcome == .ok }
        var phases: [String: Double] = [:]
        for key in Set(ok.flatMap { $0.phases.keys }) {
            phases[key] = median(ok.compactMap { $0.phases[key] })
        }
        return VariantSummary(variant: v, runs: mine, coldStart: records.first { $0.variant == v.name && $0.run == 0 },
                              readyMedianMs: median(ok.compactMap(\.readyMs)), ttftMedianMs: median(ok.compactMap(\.ttftMs)),
                              completionMedianS: median(ok.compactMap(\.firstCompletionS)), speedup: nil, phaseMedians: phases)
    }

    /// The speed-up against the baseline (the first variant): its ready median over this one's.
    public func withSpeedup(over baseline: VariantSummary?) -> VariantSummary {
        var s = self
        if let base = baseline?.readyMedianMs, base > 0 { s.speedup = readyMedianMs.map { base / $0 } }
        return s
    }
}

public struct BenchResults: Sendable {
    public var plan: BenchPlan
    public var host: BenchHost
    public var summaries: [VariantSummary] { didSet { explore = ExploreReport(summaries: summaries) } }
    /// The knobs' table over the summaries, built once for the JSON, the README, the chart
    /// and the terminal (meaningful when the plan explored).
    public private(set) var explore: ExploreReport
    public var partial: Bool
    /// Starts before a variant's first run that are not counted (`warmup_runs`).
    public var warmups: [RunRecord] = []
    /// Why the results are partial: "interrupted", or what stopped the runs.
    public var partialReason: String?
    public var wallS: Double
    public var files: (json: String, svg: String, logs: String)?
    /// Warm interpreter templates bench ran (their starts are timed apart from the runs).
    public var templates: [TemplateReport] = []
    /// Snapshot variants' images (made once, timed apart from the runs, or found made).
    public var snapshots: [SnapshotReport] = []

    public init(plan: BenchPlan, host: BenchHost, summaries: [VariantSummary], partial: Bool, partialReason: String? = nil, wallS: Double) {
        self.plan = plan; self.host = host; self.summaries = summaries; self.partial = partial; self.wallS = wallS
        self.explore = ExploreReport(summaries: summaries)
        self.partialReason = partial ? (partialReason ?? "interrupted") : nil
    }

    /// Every run finished ok and nothing stopped the bench early.
    public var allOK: Bool { !partial && summaries.allSatisfy { $0.runs.allSatisfy { $0.outcome == .ok } } }

    /// Total wall time spent outside the servers' own start (to ready) and stop.
    public var overheadS: Double {
        var serverTime = 0.0
        for s in summaries {
            for r in s.runs + (s.coldStart.map { [$0] } ?? []) {
                let ready: Double = (r.readyMs ?? 0) / 1000
                let stop: Double = (r.stopMs ?? 0) / 1000
                let sleep: Double = (r.sleepMs ?? 0) / 1000
                serverTime += ready + stop + sleep + (r.firstCompletionS ?? 0)
            }
        }
        return max(0, wallS - serverTime)
    }

    /// The results as the file keeps them (rounded), for the JSON and every report over it.
    public var document: ResultsDocument { ResultsDocument(self) }

    public static let exploreMarkers = (start: "<!-- SLLM-DOCTOR-EXPLORE:START -->", end: "<!-- SLLM-DOCTOR-EXPLORE:END -->")

    /// The explore table for benchmarks/README.md: a title row naming the bench, then one row per knob.
    public func exploreRows(rawLink: String) -> [[String]] {
        explore.tableRows().map { [Self.utc(host.timestamp), host.host, host.gpu, plan.model ?? "-"] + $0 + [rawLink] }
    }
    public static var exploreHeader: [String] { ["Timestamp (UTC)", "Host", "GPU", "Model"] + ExploreReport.header + ["Raw"] }

    // MARK: - The seed table

    static let markers: [BenchMode: (start: String, end: String)] = [
        .restart: ("<!-- FASTRESTART:START -->", "<!-- FASTRESTART:END -->"),
        .coldstart: ("<!-- BENCHMARKS:START -->", "<!-- BENCHMARKS:END -->"),
    ]
    /// Every variant beyond the seed's two, one row per bench and variant, whatever the mode.
    public static let variantMarkers = (start: "<!-- SLLM-DOCTOR-VARIANTS:START -->", end: "<!-- SLLM-DOCTOR-VARIANTS:END -->")

    /// The seed table's two columns: baseline is the first variant; faststart is the
    /// `serverless_llm` variant when there is one, else the second.
    public var seedPair: (baseline: VariantSummary?, faststart: VariantSummary?) {
        guard let base = summaries.first else { return (nil, nil) }
        let rest = summaries.dropFirst().filter { $0.variant.kind == .restart }
        return (base, rest.first { $0.variant.serverlessLLM } ?? rest.first)
    }

    /// Variants that are not in the seed row: they get rows of their own.
    public var otherVariants: [VariantSummary] {
        let pair = seedPair
        return summaries.filter { $0.variant.name != pair.baseline?.variant.name && $0.variant.name != pair.faststart?.variant.name }
    }

    /// Exactly the seed's 13 columns, so every row lines up under one header.
    public var tableHeader: [String] {
        let r = plan.mode == .restart ? "restart " : ""
        let speed = plan.mode == .restart ? "Restart speedup (x)" : "Ready speedup (x)"
        return ["Timestamp (UTC)", "Git SHA", "Host", "GPU", "Model", "Runs",
                "Baseline \(r)ready median (ms)", "Faststart \(r)ready median (ms)", speed,
                "Baseline \(r)first completion median (s)", "Faststart \(r)first completion median (s)", "Notes", "Raw"]
    }

    /// Notes that hold for the whole bench (flags, note, compose, what went wrong).
    var commonNotes: [String] {
        var parts: [String] = []
        if plan.dropCaches { parts.append("drop_caches=1") }
        if plan.offline { parts.append("offline=1") }
        if !plan.note.isEmpty { parts.append("note=\(plan.note.replacingOccurrences(of: "|", with: "/"))") }
        if let c = plan.composeLabel { parts.append("compose=\(c)") }
        for tpl in templates { parts.append(tpl.note) }
        for snap in snapshots { parts.append(snap.note) }
        if partial { parts.append("PARTIAL (\(partialReason ?? "interrupted"))") }
        return parts
    }

    /// A variant's own notes: store restarts, compile-cache misses, failed runs.
    func variantNotes(_ s: VariantSummary) -> [String] {
        var parts: [String] = []
        if s.runs.contains(where: \.storeRestarted) { parts.append("\(s.variant.name): store restarted before each run") }
        let misses = s.runs.filter { $0.findings.contains { $0.hasPrefix("compile cache missed") } }
        if !misses.isEmpty { parts.append("compile cache missed in " + misses.map { "\($0.variant)#\($0.run)" }.joined(separator: " ")) }
        let failed = s.runs.filter { $0.outcome != .ok }
        if !failed.isEmpty { parts.append("\(failed.count) run(s) failed: " + failed.map { "\($0.variant)#\($0.run) \($0.outcome.rawValue)" }.joined(separator: " ")) }
        return parts
    }

    /// The seed row's Notes: the whole bench's, then the two variants'.
    public var notes: String {
        let pair = seedPair
        let shown = [pair.baseline, pair.faststart].compactMap { $0 }
        var parts = commonNotes
        if let b = pair.baseline, let f = pair.faststart, b.variant.name != "baseline" || f.variant.name != "faststart" {
            parts.append("variants=\(b.variant.name),\(f.variant.name)")
        }
        parts.append("ports=" + shown.map { "\($0.variant.name):\($0.variant.port)" }.joined(separator: ","))
        for s in shown { parts += variantNotes(s) }
        if !otherVariants.isEmpty { parts.append("+\(otherVariants.count) variant(s) in the variants table") }
        return parts.joined(separator: ", ")
    }

    public func tableRow(rawLink: String) -> [String] {
        let (base, fast) = seedPair
        return [Self.utc(host.timestamp), host.gitSHA, host.host, host.gpu, plan.model ?? "-", String(plan.runs),
                Self.ms(base?.readyMedianMs), Self.ms(fast?.readyMedianMs), Self.x2(fast?.speedup),
                Self.s3(base?.completionMedianS), Self.s3(fast?.completionMedianS), notes, rawLink]
    }

    public static let variantsHeader = ["Timestamp (UTC)", "Git SHA", "Host", "GPU", "Model", "Mode", "Variant", "Kind", "Runs ok",
                                        "Ready median (ms)", "Speedup vs baseline (x)", "TTFT median (ms)",
                                        "First completion median (s)", "Notes", "Raw"]

    /// One row per variant outside the seed pair. A wake variant's "ready" is its wake-up
    /// (sleeping server to answering), never a restart: its Kind says so.
    public func variantRows(rawLink: String) -> [[String]] {
        let baseName = seedPair.baseline?.variant.name ?? "-"
        return otherVariants.map { s in
            let ok = s.runs.filter { $0.outcome == .ok }.count
            let kind = s.variant.kind == .wake ? "wake-up (sleep level \(s.variant.sleepLevel))" : "\(plan.mode.rawValue)"
            var parts = commonNotes + ["port=\(s.variant.port)", "baseline=\(baseName)"] + variantNotes(s)
            if s.variant.kind == .wake {
                if let cpu = s.runs.compactMap(\.sleepCPUBackupGiB).first { parts.append(String(format: "sleeping weights hold %.1f GiB CPU memory", cpu)) }
                if let gpu = s.runs.compactMap(\.sleepFreedGiB).first { parts.append(String(format: "sleep frees %.1f GiB GPU memory", gpu)) }
            }
            return [Self.utc(host.timestamp), host.gitSHA, host.host, host.gpu, plan.model ?? "-", plan.mode.rawValue, s.variant.name, kind,
                    "\(ok)/\(s.runs.count)", Self.ms(s.readyMedianMs), Self.x2(s.speedup), Self.ms(s.ttftMedianMs),
                    Self.s3(s.completionMedianS), parts.joined(separator: ", "), rawLink]
        }
    }

    static func utc(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: d)
    }
    static func ms(_ v: Double?) -> String { v.map { String(format: "%.0f", $0) } ?? "-" }
    static func s3(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "-" }
    static func x2(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "-" }

    /// Inserts the row at the top of the mode's table, creating the file or markers when
    /// missing. Everything else in the file is kept byte for byte. When the existing table
    /// has other columns, a new table (header and row) goes above it.
    public static func insertRow(readme existing: String?, mode: BenchMode, header: [String], row: [String]) -> String {
        insertRows(readme: existing, markers: markers[mode]!, header: header, rows: [row])
    }

    public static func insertRows(readme existing: String?, markers: (start: String, end: String), header: [String], rows: [[String]]) -> String {
        let (start, end) = markers
        let table = MarkdownTable(header: header, rows: rows)
        let headerLine = table.headerLine
        let sepLine = table.separatorLine
        let rowLine = table.rowLines.joined(separator: "\n")
        var text = existing ?? "# Benchmarks\n"
        guard let s = text.range(of: start), let e = text.range(of: end, range: s.upperBound..<text.endIndex) else {
            if !text.hasSuffix("\n") { text += "\n" }
            return text + "\n\(start)\n\(headerLine)\n\(sepLine)\n\(rowLine)\n\(end)\n"
        }
        let inside = text[s.upperBound..<e.lowerBound]
        // Same columns: the row goes right under the separator line.
        if let h = inside.range(of: "\n" + headerLine + "\n"),
           let sepEnd = inside[h.upperBound...].firstIndex(of: "\n"),
           inside[h.upperBound..<sepEnd].hasPrefix("|") {
            text.insert(contentsOf: rowLine + "\n", at: text.index(after: sepEnd))
            return text
        }
        // Other columns (or an empty block): a new table goes first, the old one stays below.
        let isEmpty = inside.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        let block = "\n\(headerLine)\n\(sepLine)\n\(rowLine)\n" + (isEmpty ? "" : "\n")
        if isEmpty {
            text.replaceSubrange(s.upperBound..<e.lowerBound, with: block)
        } else {
            // Insert after the marker's own line end, so the old text keeps its first newline.
            var at = s.upperBound
            if text[at...].hasPrefix("\n") { at = text.index(after: at) }
            text.insert(contentsOf: String(block.dropFirst()), at: at)
        }
        return text
    }
}

func round1(_ v: Double) -> Double { (v * 10).rounded() / 10 }
func round2(_ v: Double) -> Double { (v * 100).rounded() / 100 }
func round4(_ v: Double) -> Double { (v * 10000).rounded() / 10000 }
