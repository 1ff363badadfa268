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

/// Found by a black-box pass of `bench report` and plans (2026-12-02): each case failed before.
@Suite("bench report and plans: what a user's files may hold")
struct BenchReportInputTests {
    static let committed = ResultsDocumentTests.resultsDir

    func copy(_ name: String, into tmp: TempDir, as target: String? = nil) throws -> String {
        tmp.write(target ?? "results/\(name)", try String(contentsOfFile: Self.committed + "/" + name, encoding: .utf8))
    }

    @Test func aRelativeReferenceIsTheFolderOfABarePlanName() throws {
        #expect(FileFacts.parent(of: "p.yaml") == ".")
        #expect(FileFacts.parent(of: "/p.yaml") == "/")
        let tmp = TempDir("bare-plan")
        let repo = makeRunbook(tmp)
        _ = try copy("restart_20261202_124835.json", into: tmp, as: "plans/ref.json")
        _ = tmp.write("plans/p.yaml", "reference: ref.json\nvariants:\n  - {name: a, port: \(freePort()), command: [python3, -c, 'import sys; sys.exit(3)']}\n")
        let r = doctor(["bench", "--root", repo, "--plan", "p.yaml", "--runs", "1", "--ignore", "storage,model,runtime", "--json"],
                       cwd: tmp.path + "/plans", timeout: 60)
        #expect(!r.stderr.contains("/ref.json: $"), "\(r.stderr)")
        #expect(r.stdout.contains("\"file\" : \"ref.json\""), "\(r.stdout.prefix(400)) \(r.stderr)")
    }

    @Test func templateAndComposeKeysAreCheckedAndOneVariantIsVLLMAsGiven() throws {
        let ctx = RunbookFacts(options: .init(root: TempDir().path))
        let cases: [(String, String)] = [
            ("template: {pythonpth: x}\nvariants:\n  - {name: a, port: 8001, command: [python3, x]}\n", "template.pythonpth is not a key of template"),
            ("variants:\n  - {name: a, port: 8001, compose: {service: s, fil: y}}\n", "variants[0] (a): compose.fil is not a key of compose"),
            ("variants:\n  - {name: a, port: 8001, comand: [x]}\n", "variants[0] (a): comand is not a variant key"),
            ("variants:\n  - {name: a, port: 8001, command: [x], vllm_as_given: true}\n  - {name: b, port: 8002, command: [x], vllm_as_given: true}\n",
             "vllm_as_given: true on a and b"),
        ]
        for (text, needle) in cases {
            let e = #expect(throws: PlanError.self) { try BenchPlan.parse(text, path: "p.yaml", context: ctx) }
            #expect(e?.description.contains(needle) == true, "\(e?.description ?? "accepted"): expected \(needle)")
        }
    }

    @Test func aResultsFileThatIsNotOneIsAnErrorAndAnotherToolsIsNamed() throws {
        let tmp = TempDir("report-input")
        _ = try copy("restart_20261202_124835.json", into: tmp)
        let readme = tmp.path + "/README.md"
        for junk in ["{}", "[]", "null", "42", "\"s\""] {
            _ = tmp.write("results/restart_20990101_000000.json", junk)
            let r = doctor(["bench", "report", "--results-dir", tmp.path + "/results", "--readme", readme])
            #expect(r.status == 2, "\(junk): \(r.stderr)")
            #expect(r.stderr.contains("restart_20990101_000000.json"), "\(junk): \(r.stderr)")
        }
        _ = tmp.write("results/restart_20990101_000000.json", "{\"tool\": \"their-script\", \"baseline_ms\": 1}")
        let r = doctor(["bench", "report", "--results-dir", tmp.path + "/results", "--readme", readme])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("skipped 1 file(s) sllm-doctor did not write") && r.stderr.contains("restart_20990101_000000.json"), "\(r.stderr)")
    }

    @Test func rowsOfAResultsFileThatIsGoneAreDroppedAndCheckSaysSo() throws {
        let tmp = TempDir("report-stale")
        _ = try copy("restart_20261202_124835.json", into: tmp)
        _ = try copy("restart_20261202_124301.json", into: tmp)
        let readme = tmp.path + "/README.md"
        let dir = tmp.path + "/results"
        #expect(doctor(["bench", "report", "--results-dir", dir, "--readme", readme]).status == 0)
        try FileManager.default.removeItem(atPath: dir + "/restart_20261202_124301.json")
        let check = doctor(["bench", "report", "--results-dir", dir, "--readme", readme, "--check"])
        #expect(check.status == 1, "a row of a deleted file passed --check: \(check.stderr)")
        #expect(doctor(["bench", "report", "--results-dir", dir, "--readme", readme]).status == 0)
        let text = try String(contentsOfFile: readme, encoding: .utf8)
        #expect(!text.contains("restart_20261202_124301.json"))
        #expect(text.components(separatedBy: "| Timestamp (UTC) |").count == 2, "one table, its header once")
    }

    @Test func markersThatDoNotPairAreRefusedNamingTheLine() throws {
        let tmp = TempDir("report-markers")
        _ = try copy("restart_20261202_124835.json", into: tmp)
        let dir = tmp.path + "/results"
        let start = ReadmeReport.restart.start, end = ReadmeReport.restart.end
        for (text, needle) in [("# a\n\(start)\nkeep me\n", "line 2: \(start) has no \(end) after it"),
                               ("# a\n\(end)\n", "line 2: \(end) has no \(start) before it"),
                               ("# a\n\(end)\n\(start)\n", "line 2: \(end) comes before its \(start) (line 3)"),
                               ("\(start)\n\(end)\n\(start)\nold\n\(end)\n", "line 3: a second \(start) (the first is on line 1)")] {
            let readme = tmp.write("R.md", text)
            for extra in [[], ["--check"]] {
                let r = doctor(["bench", "report", "--results-dir", dir, "--readme", readme] + extra)
                #expect(r.status == 2 && r.stderr.contains(needle), "\(text.debugDescription) \(extra): \(r.stderr)")
            }
            #expect(try String(contentsOfFile: readme, encoding: .utf8) == text, "left as it was")
        }
        // Markers with nothing to show stay where the user put them.
        let kept = tmp.write("K.md", "intro\n\n\(start)\n\(end)\n\ntail text\n")
        _ = doctor(["bench", "report", "--readme", kept, tmp.path + "/results/restart_20261202_124835.json"])
        let after = try String(contentsOfFile: kept, encoding: .utf8)
        #expect(after.contains("\(start)\n| Timestamp"), "\(after)")
        #expect(ReadmeReport.update("a\n\(ReadmeReport.wake.start)\n\(ReadmeReport.wake.end)\nb\n", entries: []) == "a\n\(ReadmeReport.wake.start)\n\(ReadmeReport.wake.end)\nb\n")
    }

    @Test func aReferenceMustSayWhatItsFileSays() throws {
        let tmp = TempDir("report-reference")
        _ = try copy("restart_20261202_124835.json", into: tmp)
        let original = try String(contentsOfFile: Self.committed + "/restart_20261202_124301.json", encoding: .utf8)
        let dir = tmp.path + "/results"
        for (change, needle) in [(("\"ready_median_ms\" : 53011.4", "\"ready_median_ms\" : 1000"), "$.reference.ready_median_ms: expected 53011.4"),
                                 (("\"variant\" : \"safetensors\"\n  }", "\"variant\" : \"nosuch\"\n  }"), "$.reference.variant: expected a variant of restart_20261202_124835.json")] {
            #expect(original.contains(change.0))
            _ = tmp.write("results/restart_20261202_124301.json", original.replacingOccurrences(of: change.0, with: change.1))
            let r = doctor(["bench", "report", "--results-dir", dir, "--readme", tmp.path + "/R.md"])
            #expect(r.status == 2 && r.stderr.contains(needle), "\(r.stderr)")
        }
        _ = tmp.write("results/restart_20261202_124301.json", original)
        #expect(doctor(["bench", "report", "--results-dir", dir, "--readme", tmp.path + "/R.md"]).status == 0)
    }

    @Test func checkWithSVGChecksTheChartsToo() throws {
        let tmp = TempDir("report-check-svg")
        _ = try copy("restart_20261202_124835.json", into: tmp)
        let dir = tmp.path + "/results", readme = tmp.path + "/R.md"
        #expect(doctor(["bench", "report", "--svg", "--results-dir", dir, "--readme", readme]).status == 0)
        #expect(doctor(["bench", "report", "--check", "--svg", "--results-dir", dir, "--readme", readme]).status == 0)
        _ = tmp.write("results/restart_20261202_124835.svg", "<svg>tampered</svg>")
        let r = doctor(["bench", "report", "--check", "--svg", "--results-dir", dir, "--readme", readme])
        #expect(r.status == 1 && r.stderr.contains("restart_20261202_124835.svg: not the chart of its results file"), "\(r.stderr)")
        #expect(doctor(["bench", "report", "--check", "--results-dir", dir, "--readme", readme]).status == 0, "without --svg the README alone")
    }

    @Test func aReadmeBenchReportWouldNotWriteIsNamedAndNoFolderIsMade() throws {
        let tmp = TempDir("report-readme-place")
        let file = try copy("restart_20261202_124835.json", into: tmp)
        let real = tmp.write("real.md", "# r\n")
        let link = tmp.path + "/link.md"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        let check = doctor(["bench", "report", "--check", "--readme", link, file])
        #expect(check.status == 2 && check.stderr.contains("bench report does not write it either") && !check.stderr.contains("run `sllm-doctor bench report`"), "\(check.stderr)")
        let deep = tmp.path + "/x/a/b/R.md"
        let r = doctor(["bench", "report", "--readme", deep, file])
        #expect(r.status == 2 && r.stderr.contains("does not exist"), "\(r.stderr)")
        #expect(!FileFacts.exists(tmp.path + "/x"), "no folder made")
    }

    @Test func controlCharactersInAResultsFileAreShownInTheReadmeAndTheChart() throws {
        let tmp = TempDir("report-escapes")
        let text = try String(contentsOfFile: Self.committed + "/restart_20261202_124835.json", encoding: .utf8)
            .replacingOccurrences(of: "\"name\" : \"safetensors\"", with: "\"name\" : \"a\\u001b[31mred\\u202e\"")
        let file = tmp.write("results/restart_20261202_124835.json", text)
        let readme = tmp.path + "/README.md"
        let r = doctor(["bench", "report", "--svg", "--readme", readme, file])
        #expect(r.status == 0, "\(r.stderr)")
        let md = try String(contentsOfFile: readme, encoding: .utf8)
        let svg = try String(contentsOfFile: tmp.path + "/results/restart_20261202_124835.svg", encoding: .utf8)
        for out in [md, svg] {
            #expect(!out.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x202e })
            #expect(out.contains("<U+202E>") || out.contains("&lt;U+202E&gt;"))
        }
    }
}
