import Foundation
import Testing
import TestSupport
@testable import Bench
import DoctorCore
import SystemProbes
import Runbook
import Basics

/// A whole bench driven in-process, as the CLI drives it: a resolved plan and environment go
/// in, results come out, the outputs are written. No binary, no flags.
@Suite("bench session in-process", .serialized)
struct BenchSessionTests {
    func plan(_ tmp: TempDir, runs: Int = 2) -> BenchPlan {
        var plan = BenchPlan(variants: [
            fakeVariant("baseline", port: freePort(), events: tmp.path + "/ev-b", extra: ["--ready-delay", "0.6", "--tokens", "4"]),
            fakeVariant("faststart", port: freePort(), events: tmp.path + "/ev-f", extra: ["--ready-delay", "0.2", "--tokens", "4"]),
        ])
        plan.variants[1].serverlessLLM = true
        plan.runs = runs
        plan.model = "fake/model"
        return plan
    }

    @Test func aSessionRunsSummarisesAndWritesEverything() throws {
        let tmp = TempDir("session")
        let paths = BenchPaths(resultsDir: tmp.path + "/benchmarks/results", mode: .restart, stamp: "20261129_000000",
                               readme: tmp.path + "/benchmarks/README.md")
        let host = BenchHost(timestamp: Date(), gitSHA: "abc1234", host: "h", gpu: "none")
        var lines: [String] = []
        let results = BenchSession(plan: plan(tmp), env: BenchEnvironment(logDir: paths.logs), host: host).run { lines.append($0) }
        #expect(results.allOK, "\(lines)")
        #expect(results.summaries.map(\.variant.name) == ["baseline", "faststart"])
        #expect(results.summaries.allSatisfy { $0.runs.count == 2 })
        // Speed-up against the first variant, from the one summary of each.
        let base = try #require(results.summaries[0].readyMedianMs), fast = try #require(results.summaries[1].readyMedianMs)
        #expect(results.summaries[1].speedup == base / fast)
        // Each at least its server's own ready delay (a loaded machine only adds to it; which is
        // quicker is the stand-in's timing, which a loaded run once reversed: 907 against 871 ms).
        #expect(base >= 600 && fast >= 200, "\(base) \(fast)")
        // Interleaved: baseline, faststart, baseline, faststart.
        #expect(lines.filter { $0.contains(": ready ") && $0.contains("TTFT") }.map { $0.hasPrefix("[baseline]") } == [true, false, true, false])

        let written = try BenchOutputs.write(results, to: paths, redact: Redactor(secrets: []))
        #expect(written.readme == .updated)
        #expect(FileFacts.isFile(paths.json) && FileFacts.isFile(paths.svg))
        #expect(try String(contentsOfFile: paths.json, encoding: .utf8) == written.jsonText)
        let readme = try String(contentsOfFile: paths.readme, encoding: .utf8)
        #expect(readme.contains("[json](results/\(paths.base).json)"))
        #expect(readme.contains("| abc1234 | h | none | fake/model | baseline | 2/2 |"))
        let report = BenchOutputs.terminalReport(results, paths: paths, readme: written.readme)
        #expect(report.contains("| variant | ok runs | ready median (ms) |"))
        #expect(report.contains("| faststart | 2/2 |"))
        #expect(report.contains("table:   \(paths.readme)"))
    }

    @Test func anInterruptedSessionIsPartialAndStopsItsServer() throws {
        let tmp = TempDir("partial")
        let interrupt = InterruptFlag()
        let p = plan(tmp, runs: 3)
        let results = BenchSession(plan: p, env: BenchEnvironment(), host: BenchHost(timestamp: Date(), gitSHA: "-", host: "h", gpu: "none"))
            .run(interrupt: interrupt) { line in if line.contains("run 1/3: ready") { interrupt.trigger() } }
        #expect(results.partial && !results.allOK)
        #expect(results.partialReason == "interrupted")
        for v in p.variants { #expect(!HTTPClient.isListening(port: v.port)) }
        let paths = BenchPaths(resultsDir: tmp.path + "/r", mode: .restart, stamp: "x", readme: tmp.path + "/README.md")
        let written = try BenchOutputs.write(results, to: paths, redact: Redactor(secrets: []))
        #expect(written.jsonText.contains("\"partial\" : true"))
    }

    @Test func aBadPlanFlagIsAPlanErrorNamingTheFlag() {
        var p = BenchPlan(variants: [])
        var o = BenchOptions()
        o.knobs = ["fork"]
        #expect(throws: PlanError("--knobs chooses among --explore's knobs: add --explore", key: "--knobs")) {
            try p.apply(o, environment: [:], root: "/")
        }
        o = BenchOptions(); o.explore = true
        #expect(throws: ExploreError("--explore needs a plan with at least one variant")) { try p.apply(o, environment: [:], root: "/") }
    }

    @Test func oneTableBuilderForTheTerminalAndTheReadme() {
        let t = MarkdownTable(header: ["Variant", "Ready median (ms)", "Runs ok"], rows: [["a|b", "12", "1/1"], ["note\nhere", "", ""]])
        #expect(t.text == "| Variant | Ready median (ms) | Runs ok |\n|---|---:|---:|\n| a/b | 12 | 1/1 |\n| note here |||\n")
    }
}
