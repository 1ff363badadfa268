import Foundation
import Testing
import TestSupport
@testable import Bench
@testable import DoctorCore
@testable import SystemProbes
@testable import Runbook
@testable import Basics

/// `bench --explore` against the loopback stand-in, which answers vLLM's start-up flags the way
/// vLLM does in kind (eager: up sooner, decodes slower; an empty VLLM_CACHE_ROOT: compiles).
@Suite("bench --explore", .serialized)
struct ExploreTests {
    @Test func theKnobsAreVLLMsOwnFlagsOnTheFirstCommand() throws {
        let base = Variant(name: "base", launch: .command(argv: ["vllm", "serve", "m", "--load-format", "safetensors", "--port", "8001"], env: ["A": "1"], cwd: nil), port: 8001)
        let vs = try Explore.variants(from: base)
        #expect(vs.map(\.name) == ["base", "compile-cold", "in-process", "fork", "eager", "graphs-1-8", "no-compile", "no-compile-full-graphs", "kv-cache-memory", "fastsafetensors", "runai_streamer", "sleep-wake"])
        func argv(_ i: Int) -> [String] { if case .command(let a, _, _) = vs[i].launch { return a }; return [] }
        #expect(argv(4) == ["vllm", "serve", "m", "--load-format", "safetensors", "--port", "8001", "--enforce-eager"])
        #expect(argv(5).suffix(2) == ["--compilation-config", "{\"cudagraph_capture_sizes\": [1, 2, 4, 8]}"])
        #expect(argv(6).suffix(2) == ["--compilation-config", "{\"mode\": 0, \"cudagraph_mode\": \"FULL_DECODE_ONLY\", \"cudagraph_capture_sizes\": [1, 2, 4, 8]}"])
        #expect(vs[6].knobChange?.group == vs[5].knobChange?.group)   // one graph setting at a time
        // Small prefills replay a full graph too: the first token kept without torch.compile.
        #expect(argv(7).suffix(2) == ["--compilation-config", "{\"mode\": 0, \"cudagraph_mode\": \"FULL\", \"cudagraph_capture_sizes\": [1, 2, 4, 8, 16, 32, 64]}"])
        #expect(vs[7].knobChange?.group == vs[5].knobChange?.group)
        #expect(argv(9) == ["vllm", "serve", "m", "--port", "8001", "--load-format", "fastsafetensors"])
        #expect(vs[8].kvCacheFromLog && !vs[9].kvCacheFromLog)
        #expect(vs[1].freshCompileCache && !vs[0].freshCompileCache)
        if case .command(_, let env, _) = vs[2].launch { #expect(env["VLLM_ENABLE_V1_MULTIPROCESSING"] == "0") }
        if case .command(_, let env, _) = vs[3].launch { #expect(env["VLLM_WORKER_MULTIPROC_METHOD"] == "fork") }
        #expect(vs[3].knobChange?.group == vs[2].knobChange?.group)   // one way of starting the engine at a time
        #expect(vs[11].kind == .wake)
        // Knobs stack: one per group, applied to the first command in turn.
        let both = Explore.apply([vs[9].knobChange!, vs[5].knobChange!, vs[2].knobChange!], to: base, name: "c")
        if case .command(let a, let env, _) = both.launch {
            #expect(a == ["vllm", "serve", "m", "--port", "8001", "--load-format", "fastsafetensors", "--compilation-config", "{\"cudagraph_capture_sizes\": [1, 2, 4, 8]}"])
            #expect(env == ["A": "1", "VLLM_ENABLE_V1_MULTIPROCESSING": "0"])
        }
        #expect(vs.allSatisfy { if case .command(_, let env, _) = $0.launch { return env["A"] == "1" }; return false })
        #expect(throws: ExploreError.self) {
            try Explore.variants(from: Variant(name: "s", launch: .command(argv: ["/bin/sh", "-c", "vllm serve m"], env: [:], cwd: nil), port: 1))
        }
    }

    @Test func everyKnobIsMeasuredAndTheFastestThatKeepsDecodeIsNamed() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let port = freePort()
        let plan = tmp.write("plan.yaml", """
        variants:
          - name: baseline
            port: \(port)
            command: [python3, \(fakeServer), fake/model, --port, "\(port)", --ready-delay, "1.5", --token-delay, "0.002"]

        """)
        // PYTHONDONTWRITEBYTECODE empty: no bytecode knob here (it has its own test).
        let r = doctor(["bench", "--root", repo, "--plan", plan, "--explore", "--json", "--ignore", "storage,model,runtime"],
                       env: ["PYTHONDONTWRITEBYTECODE": ""], timeout: 180)
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let explore = try #require(obj["explore"] as? [String: Any])
        let rows = try #require(explore["rows"] as? [[String: Any]])
        func row(_ name: String) -> [String: Any] { rows.first { $0["variant"] as? String == name } ?? [:] }
        // Which knobs beat the reference is this machine's timing: the combined variant is made
        // when two or more did (a loaded run once had fewer, and no combined row).
        let baseReady = try #require(row("baseline")["ready_median_s"] as? Double)
        let combinedMade = rows.contains { $0["variant"] as? String == "combined" }
        #expect(rows.count == (combinedMade ? 13 : 12))
        // Every restart knob ran once and carries a decode speed from the 256-token probe.
        for name in ["baseline", "compile-cold", "in-process", "fork", "eager", "graphs-1-8", "no-compile", "no-compile-full-graphs", "kv-cache-memory", "fastsafetensors", "runai_streamer", "sleep-wake"] + (combinedMade ? ["combined"] : []) {
            #expect(row(name)["ok_runs"] as? Int == 1, "\(name): \(row(name))")
            #expect((row(name)["decode_tokens_per_s"] as? Double ?? 0) > 0, "\(name)")
        }
        // The stand-in's eager mode decodes ~37 % slower: never chosen (below). How much sooner
        // it is up is the stand-in's timing (0.6 s), which a loaded machine can erase.
        #expect((row("eager")["decode_change_pct"] as? Double ?? 0) < -20)
        #expect(row("compile-cold")["compile_cache"] as? String == "miss")
        #expect(row("baseline")["compile_cache"] as? String == "hit")
        #expect(row("sleep-wake")["kind"] as? String == "wake")
        // A new compile-cache key (the graph list) starts once uncounted: its measured run hits.
        #expect(row("graphs-1-8")["compile_cache"] as? String == "hit")
        // Without torch.compile there is no compile cache to hit or miss.
        #expect(row("no-compile")["compile_cache"] == nil || row("no-compile")["compile_cache"] is NSNull, "\(row("no-compile"))")
        // The rules, whatever the timing of this machine: the knobs stacked are ones that beat
        // the reference and kept decode, one per group; never eager (decode) or compile-cold (a
        // cost, not a knob). runai_streamer is slower in the stand-in, but on a loaded machine its
        // one run can beat the reference's: then the rule stacks it, and the rule is what is tested.
        let together = combinedMade ? (row("combined")["knob"] as? String ?? "").replacingOccurrences(of: "together: ", with: "").components(separatedBy: " + ") : []
        if combinedMade { #expect(together.count >= 2, "\(row("combined"))") }
        for name in together {
            #expect(["in-process", "fork", "graphs-1-8", "no-compile", "no-compile-full-graphs", "kv-cache-memory", "fastsafetensors", "runai_streamer"].contains(name), "\(name)")
            #expect((row(name)["ready_median_s"] as? Double ?? .infinity) < baseReady * (1 - Explore.minimumGain), "\(name)")
            #expect((row(name)["decode_change_pct"] as? Double ?? -100) >= -5, "\(name)")
        }
        let variants = try #require(obj["variants"] as? [[String: Any]])
        let warmed = Set(variants.filter { ($0["warmups"] as? [[String: Any]])?.count == 1 }.compactMap { $0["name"] as? String })
        #expect(warmed == Set(["baseline", "graphs-1-8"] + (together.contains { ["graphs-1-8", "no-compile", "no-compile-full-graphs"].contains($0) } ? ["combined"] : [])))
        // The verdict names the fastest restart among those that kept decode.
        let keeping = rows.filter { $0["kind"] as? String == "restart" && ($0["decode_change_pct"] as? Double ?? -100) >= -5 }
        let fastest = keeping.min { ($0["ready_median_s"] as? Double ?? .infinity) < ($1["ready_median_s"] as? Double ?? .infinity) }
        #expect(explore["fastest_keeping_decode"] as? String == fastest?["variant"] as? String, "\(rows)")
        #expect((explore["verdict"] as? String)?.hasPrefix("fastest restart that keeps decode within 5 %: \(fastest?["variant"] as? String ?? "?")") == true)
        // The table, the chart, and no row in the seed tables.
        #expect(r.stderr.contains("Start-up knobs (256-token decode probe after each start):"))
        let readme = try String(contentsOfFile: repo + "/benchmarks/README.md", encoding: .utf8)
        #expect(readme.contains(ReadmeReport.explore.start))
        #expect(!readme.contains("FASTRESTART:START"))
        let svgs = try FileManager.default.contentsOfDirectory(atPath: repo + "/benchmarks/results").filter { $0.hasSuffix("_explore.svg") }
        #expect(svgs.count == 1)
        // The per-run compile caches of compile-cold are removed after their run.
        let logs = try FileManager.default.contentsOfDirectory(atPath: repo + "/benchmarks/results").filter { $0.hasSuffix("_logs") }
        let left = try FileManager.default.contentsOfDirectory(atPath: repo + "/benchmarks/results/" + logs[0]).filter { $0.hasPrefix("compile-cache-") }
        #expect(left.isEmpty)
    }
}

@Suite("bench --explore --knobs")
struct ExploreKnobSelectionTests {
    /// With bytecode writing off, a knob turns it on; it runs after the other knobs, since the
    /// .pyc files it writes would speed up every later start (the H100 run taught this).
    @Test func theBytecodeKnobComesWhenPythonWritesNoneAndRunsLast() throws {
        let base = Variant(name: "base", launch: .command(argv: ["vllm", "serve", "m"], env: [:], cwd: nil), port: 8001)
        let off = try Explore.variants(from: base, environment: ["PYTHONDONTWRITEBYTECODE": "1"])
        let names = off.map(\.name)
        #expect(names.suffix(2) == ["bytecode", "sleep-wake"])
        let b = try #require(off.first { $0.name == "bytecode" })
        #expect(b.warmupRuns == 1)
        if case .command(_, let env, _) = b.launch { #expect(env["PYTHONDONTWRITEBYTECODE"] == "") }
        #expect(!(try Explore.variants(from: base, environment: [:])).contains { $0.name == "bytecode" })
        #expect(!(try Explore.variants(from: base, environment: ["PYTHONDONTWRITEBYTECODE": ""])).contains { $0.name == "bytecode" })
    }

    @Test func aSubsetOfKnobsAndTheReference() throws {
        let base = Variant(name: "base", launch: .command(argv: ["vllm", "serve", "m"], env: [:], cwd: nil), port: 8001)
        let all = try Explore.variants(from: base)
        #expect(try Explore.select(all, knobs: ["eager", "sleep-wake"]).map(\.name) == ["base", "eager", "sleep-wake"])
        #expect(try Explore.select(all, knobs: []).count == all.count)
        #expect { try Explore.select(all, knobs: ["turbo"]) } throws: { "\($0)".hasPrefix("--knobs turbo: expected some of compile-cold, in-process") }
        let r = doctor(["bench", "--knobs", "eager"])
        #expect(r.status == 2 && r.stderr.contains("--knobs chooses among --explore's knobs"))
    }
}

@Suite("explore's combination rule")
struct ExploreCombinationTests {
    /// The H100 run's own figures (2026-11-24, second machine): fastsafetensors at 90.7 s
    /// against 91.4 s is noise, not a gain, and must not be stacked.
    @Test func aKnobWithinNoiseOfTheReferenceIsNotStacked() throws {
        let base = Variant(name: "safetensors", launch: .command(argv: ["vllm", "serve", "m"], env: [:], cwd: nil), port: 8001)
        let all = try Explore.select(Explore.variants(from: base), knobs: ["in-process", "graphs-1-8", "fastsafetensors", "eager"])
        var plan = BenchPlan(variants: all)
        plan.runs = 1
        let figures: [String: (ready: Double, decode: Double)] = [
            "safetensors": (91_400, 155.8), "in-process": (72_200, 156.0), "graphs-1-8": (67_500, 155.6),
            "fastsafetensors": (90_700, 152.4), "eager": (60_900, 45.1)]
        let records = all.map { v -> RunRecord in
            var r = RunRecord(variant: v.name, run: 1)
            r.readyMs = figures[v.name]!.ready; r.firstCompletionS = 0.5; r.decodeTokensPerS = figures[v.name]!.decode
            return r
        }
        let report = ExploreReport(summaries: VariantSummary.summarize(plan, records))
        let combined = try #require(Explore.combined(from: base, report: report, variants: all))
        #expect(combined.knob == "together: graphs-1-8 + in-process")
        #expect(report.fastest?.variant == "graphs-1-8")   // eager is faster but loses 71 % of decode
    }
}
