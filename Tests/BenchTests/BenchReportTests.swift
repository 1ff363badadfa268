import Foundation
import Testing
import TestSupport
@testable import Bench
@testable import SystemProbes
@testable import Basics
@testable import DoctorCore
import Runbook

/// benchmarks/README.md is a report over the committed results files: `bench report` rebuilds
/// it byte for byte, and a hand-edited row is caught.
struct BenchReportTests {
    static let readme = ResultsDocumentTests.repoRoot + "/benchmarks/README.md"

    @Test func theCommittedReadmeIsWhatTheCommittedResultsMake() throws {
        let committed = try String(contentsOfFile: Self.readme, encoding: .utf8)
        let entries = try ReadmeReport.entries(files: try ResultsDocumentTests.committedFiles(), readme: Self.readme)
        #expect(entries.count == (try ResultsDocumentTests.committedFiles()).count)
        let rebuilt = ReadmeReport.update(committed, entries: entries)
        #expect(rebuilt == committed, "run `sllm-doctor bench report` and commit benchmarks/README.md")
        // Every variant of every results file has its row (restarts, wake-ups) or explore row.
        for e in entries {
            let names = e.document.explore?.rows.map(\.variant) ?? e.document.variants.map(\.name)
            for name in names {
                let row = committed.split(separator: "\n").contains { $0.contains("| \(name)") && $0.contains(e.raw) }
                #expect(row, "\(e.raw): no row for \(name)")
            }
        }
        #expect(!committed.contains("variants table"))
    }

    /// A copy of the repository's results: `bench report` writes the committed README; `--check`
    /// catches a hand edit; a file that does not read is named with the path of what is missing.
    @Test func theCommandRebuildsChecksAndNamesABrokenFile() throws {
        let tmp = TempDir("report")
        let results = tmp.mkdir("benchmarks/results")
        for name in try FileManager.default.contentsOfDirectory(atPath: ResultsDocumentTests.resultsDir)
        where name.hasSuffix(".json") || name.hasSuffix(".svg") {
            try FileManager.default.copyItem(atPath: ResultsDocumentTests.resultsDir + "/" + name, toPath: results + "/" + name)
        }
        let committed = try String(contentsOfFile: Self.readme, encoding: .utf8)
        let readme = tmp.write("benchmarks/README.md", committed.replacingOccurrences(of: "| 24812 |", with: "| 14812 |"))
        let check = doctor(["bench", "report", "--root", tmp.path, "--check"])
        #expect(check.status == 1, "\(check.stderr)")
        #expect(check.stderr.contains("not what the results make it"))
        let r = doctor(["bench", "report", "--root", tmp.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: readme, encoding: .utf8) == committed)
        #expect(doctor(["bench", "report", "--root", tmp.path, "--check"]).status == 0)
        // A results file without its variants' names: exit 2, the file and the JSON path named.
        let broken = results + "/restart_20261202_103947.json"
        let text = try String(contentsOfFile: broken, encoding: .utf8).replacingOccurrences(of: "\"name\" : \"snapshot-restore\"", with: "\"nom\" : \"x\"")
        try text.write(toFile: broken, atomically: true, encoding: .utf8)
        let bad = doctor(["bench", "report", "--root", tmp.path])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("\(broken): $.variants[0].name: expected a value (the field is missing)"), "\(bad.stderr)")
        #expect(try String(contentsOfFile: readme, encoding: .utf8) == committed)
    }

    /// The committed charts are drawn from the committed JSON (`bench report --svg`), as bench draws them.
    @Test func theCommittedChartsAreTheChartsOfTheCommittedResults() throws {
        for file in try ResultsDocumentTests.committedFiles() {
            let doc = try ResultsDocument.read(file: file)
            let stem = String(file.dropLast(".json".count))
            #expect(try String(contentsOfFile: stem + ".svg", encoding: .utf8) == ReadyChart.svg(doc), "\(stem).svg")
            if doc.explore != nil {
                #expect(try String(contentsOfFile: stem + "_explore.svg", encoding: .utf8) == ExploreChart.svg(doc), "\(stem)_explore.svg")
            }
        }
    }

    /// `--results-dir` and `--readme` are the report's (bench, its parent, declares the first too).
    @Test func theResultsFolderAndReadmeAreTheOnesNamed() throws {
        let tmp = TempDir("report-dir")
        let dir = tmp.mkdir("elsewhere")
        try FileManager.default.copyItem(atPath: ResultsDocumentTests.resultsDir + "/restart_20261202_103947.json", toPath: dir + "/restart_20261202_103947.json")
        let r = doctor(["bench", "report", "--root", tmp.path, "--results-dir", dir, "--readme", tmp.path + "/R.md", "--svg"])
        #expect(r.status == 0, "\(r.stderr)")
        let text = try String(contentsOfFile: tmp.path + "/R.md", encoding: .utf8)
        #expect(text.contains("| snapshot-restore | 1/1 | 24812 |") && text.contains("[json](elsewhere/restart_20261202_103947.json) [svg](elsewhere/restart_20261202_103947.svg)"))
        #expect(FileFacts.isFile(dir + "/restart_20261202_103947.svg"))
        #expect(!FileFacts.exists(tmp.path + "/benchmarks"))
    }

    /// A plan marks vLLM as given (`vllm_as_given: true`) or names it in an earlier results file
    /// (`reference: FILE[#VARIANT]`); a bad value is named by plan file and key.
    @Test func aPlanNamesVLLMAsGiven() throws {
        let tmp = TempDir("as-given-plan")
        let ctx = RunbookFacts(options: .init(root: tmp.path))
        _ = tmp.write("old/restart_20261123_090343.json",
                      try String(contentsOfFile: ResultsDocumentTests.resultsDir + "/restart_20261123_090343.json", encoding: .utf8))
        let plan = try BenchPlan.parse("""
            reference: old/restart_20261123_090343.json#safetensors
            variants:
              - {name: plain, port: 8001, command: [vllm, serve, m], vllm_as_given: true}
              - {name: tuned, port: 8002, command: [vllm, serve, m, --enforce-eager]}
            """, path: tmp.path + "/plan.yaml", context: ctx)
        #expect(plan.variants.map(\.vllmAsGiven) == [true, false])
        #expect(plan.reference == ResultsDocument.Reference(file: "old/restart_20261123_090343.json", variant: "safetensors", readyMedianMs: 87694.6))
        let bad = #expect(throws: PlanError.self) {
            try BenchPlan.parse("variants:\n  - {name: a, port: 8001, command: [x], vllm_as_given: 3}\n", path: tmp.path + "/p.yaml", context: ctx)
        }
        #expect(bad?.key == "vllm_as_given" && bad?.description.contains("vllm_as_given must be true or false") == true)
        let missing = #expect(throws: PlanError.self) {
            try BenchPlan.parse("reference: nope.json\nvariants:\n  - {name: a, port: 8001, command: [x]}\n", path: tmp.path + "/p.yaml", context: ctx)
        }
        #expect(missing?.key == "reference")
        #expect(missing?.description.hasPrefix("\(tmp.path)/p.yaml: reference: \(tmp.path)/nope.json: $: expected a readable results file") == true, "\(missing?.description ?? "")")
        let unmarked = #expect(throws: PlanError.self) {
            try BenchPlan.parse("reference: old/restart_20261123_090343.json\nvariants:\n  - {name: a, port: 8001, command: [x]}\n", path: tmp.path + "/p.yaml", context: ctx)
        }
        #expect(unmarked?.description.contains("$.variants: expected a variant with \"vllm_as_given\": true (or name one: old/restart_20261123_090343.json#VARIANT)") == true, "\(unmarked?.description ?? "")")
    }

    /// Rebuilding is linear in the README and the results: 40,000 rows of an earlier tool and
    /// 400 results files of ours (each row checked against a set, not against every file).
    @Test func aLongReadmeAndManyFilesRebuildInLinearTime() throws {
        let doc = try ResultsDocument.read(file: ResultsDocumentTests.resultsDir + "/restart_20261202_103947.json")
        let entries = (0..<400).map { ReadmeReport.Entry(document: doc, raw: "[json](results/restart_\($0).json)") }
        let legacy = (0..<40_000).map { "| row \($0) | [json](results/coldstart_\($0).json) |\n" }.joined()
        let readme = "# B\n\n\(ReadmeReport.restart.start)\n| A | Raw |\n|---|---|\n" + legacy + "\(ReadmeReport.restart.end)\n"
        let started = Date()
        let rebuilt = ReadmeReport.update(readme, entries: entries)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(rebuilt.contains(legacy) && rebuilt.components(separatedBy: "| snapshot-restore |").count == 401)
    }
}
