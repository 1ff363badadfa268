import Foundation
import Testing
@testable import Startup
@testable import SystemProbes
import TestSupport

/// The anatomy of real vLLM 0.26 starts on the lent H200, each phase derived by hand from the
/// lines' arrival stamps (bench stamps every line to the millisecond as it arrives; vLLM's own
/// stamps have whole seconds). Spawn and ready times come from the runs' results JSON.
@Suite("start-up anatomy: H200 golden logs")
struct AnatomyGoldenTests {
    static let repoResults = fixturesDir + "/../../benchmarks/results"

    static func date(_ s: String) -> Date {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: s)!
    }

    func expectPhases(_ a: StartupAnatomy, _ expected: [(String, Double)], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.phases.map(\.name) == expected.map(\.0), sourceLocation: sourceLocation)
        for (name, s) in expected {
            let got = a.phaseDurations[name] ?? -1
            #expect(abs(got - s) < 0.0005, "\(name): \(got) s, expected \(s) s", sourceLocation: sourceLocation)
        }
        let sum = a.phases.reduce(0) { $0 + $1.seconds }
        #expect(abs(sum - (a.readySeconds ?? -1)) < 1e-6, "the phases add up to ready", sourceLocation: sourceLocation)
    }

    /// 2026-12-02 probe, `tpl-kv8g` run 1 (serverless_llm forked from the template, 8 GiB KV
    /// cache): spawned 08:53:16.774, ready after 7286.6 ms (08:53:24.0606).
    @Test func storeFromTheTemplateWithAGivenKVCache() throws {
        let l = try LogFileReader.read(fixture("vllm026-h200-store-template-kv8g.log"))
        let a = StartupAnatomy.analyze(lines: l, startedAt: Self.date("2026-12-02T08:53:16.774Z"),
                                       readyAt: Self.date("2026-12-02T08:53:16.774Z").addingTimeInterval(7.2866), pinnedGBPerS: 55)
        expectPhases(a, [
            ("interpreter_and_imports", 0.112),  // spawn → 16.886 (runpy's warning, the first line)
            ("api_server_to_engine", 0.326),     // → 17.212 "Initializing a V1 LLM engine"
            ("device_init", 1.359),              // → 18.571 "Loading model from scratch..."
            ("model_skeleton", 0.303),           // → 19.414 − 0.54 = 18.874, where the copy starts
            ("weights_load", 0.54),              // "Loading weights took 0.54 seconds" at 19.414
            ("model_load_rest", 0.851),          // → 20.265 "Model loading took 15.0 GiB and 2.112189 seconds"
            ("kv_cache_profile", 1.278),         // → 21.543 "reserved 8.0 GiB memory for KV Cache ... skipped memory profiling"
            ("cuda_graph_capture", 0.782),       // → 22.325 "Graph capturing finished in 1 secs"
            ("warmup", 0.727),                   // → 23.052 "init engine (profile, create kv cache, warmup model) took 2.77 s"
            ("api_server_setup", 0.325),         // → 23.377 "Starting vLLM server on http://0.0.0.0:8005"
            ("api_server_up", 0.673),            // → 24.050 "Application startup complete."
            ("first_200_on_models", 0.0106),     // → ready 24.0606
        ])
        // The store's own line: 14.96 GiB in 0.54 s, store to GPU 0.51 s.
        #expect(a.weights == WeightsCopy(gib: 14.96, seconds: 0.54, storeToGPUSeconds: 0.51))
        let rate = 14.96 * 1_073_741_824 / 0.54 / 1e9, copy = 14.96 * 1_073_741_824 / 0.51 / 1e9
        #expect(a.findings.contains(String(format: "weights: 14.96 GiB in 0.54 s = %.1f GB/s, store to GPU 0.51 s = %.1f GB/s, %.0f %% of the pinned copy (55.0 GB/s; floor %.2f s)",
                                           rate, copy, copy / 55 * 100, 14.96 * 1_073_741_824 / 55e9)))
    }

    /// The committed 2026-11-29 run (restart_20261129_214348), `serverless_llm-template-kv` run 1:
    /// spawned 21:49:26.418, ready after 6688.5 ms (21:49:33.1065).
    @Test func committedStoreFromTheTemplateWithTheKVSizeFromTheLog() throws {
        let l = try LogFileReader.read(Self.repoResults + "/restart_20261129_214348_logs/serverless_llm-template-kv_run1.log")
        let a = StartupAnatomy.analyze(lines: l, startedAt: Self.date("2026-11-29T21:49:26.418Z"),
                                       readyAt: Self.date("2026-11-29T21:49:26.418Z").addingTimeInterval(6.6885))
        expectPhases(a, [
            ("interpreter_and_imports", 0.096),  // → 26.514 (runpy's warning)
            ("api_server_to_engine", 0.222),     // → 26.736 "Initializing a V1 LLM engine"
            ("device_init", 1.112),              // → 27.848 "Loading model from scratch..."
            ("model_skeleton", 0.204),           // → 28.572 − 0.52 = 28.052
            ("weights_load", 0.52),              // "Loading weights took 0.52 seconds" at 28.572
            ("model_load_rest", 0.701),          // → 29.273 "Model loading took 15.0 GiB and 1.759582 seconds"
            ("kv_cache_profile", 1.184),         // → 30.457 "reserved 102.73 GiB memory for KV Cache"
            ("cuda_graph_capture", 0.827),       // → 31.284 "Graph capturing finished in 1 secs"
            ("warmup", 0.798),                   // → 32.082 "init engine ... took 2.79 s"
            ("api_server_setup", 0.396),         // → 32.478 "Starting vLLM server on"
            ("api_server_up", 0.622),            // → 33.100 "Application startup complete."
            ("first_200_on_models", 0.0065),     // → ready 33.1065
        ])
        // The summary and the table say the same: the weights row is the loader's 0.52 s.
        let table = AnatomyTable.render(phases: a.phaseDurations, ready: a.readySeconds)
        #expect(table.contains("| weights_load | 0.52 | 7.8 |"))
        #expect(a.findings.contains("weights are 8 % of ready: a faster loader cannot give more than 1.08×"))
        #expect(a.findings.contains { $0.hasPrefix("weights: 14.96 GiB in 0.52 s = 30.9 GB/s, store to GPU 0.50 s = 32.1 GB/s") })
    }

    /// The same run set, `safetensors-best` run 2 (safetensors, engine forked from the API
    /// server): spawned 21:50:33.933, ready after 23076.9 ms (21:50:57.0099).
    @Test func committedSafetensorsWithAForkedEngine() throws {
        let l = try LogFileReader.read(Self.repoResults + "/restart_20261129_214348_logs/safetensors-best_run2.log")
        let a = StartupAnatomy.analyze(lines: l, startedAt: Self.date("2026-11-29T21:50:33.933Z"),
                                       readyAt: Self.date("2026-11-29T21:50:33.933Z").addingTimeInterval(23.0769))
        expectPhases(a, [
            ("interpreter_and_imports", 13.237), // → 47.170 (the loader plugin's registration line)
            ("api_server_to_engine", 0.166),     // → 47.336 "Initializing a V1 LLM engine"
            ("device_init", 1.678),              // → 49.014 "Loading model from scratch..."
            ("model_skeleton", 0.351),           // → 51.885 − 2.52 = 49.365
            ("weights_load", 2.52),              // "Loading weights took 2.52 seconds" at 51.885
            ("model_load_rest", 0.908),          // → 52.793 "Model loading took 15.0 GiB and 4.225812 seconds"
            ("kv_cache_profile", 2.083),         // → 54.876 "Available KV cache memory: 102.73 GiB"
            ("cuda_graph_capture", 0.748),       // → 55.624 "Graph capturing finished in 1 secs"
            ("warmup", 0.665),                   // → 56.289 "init engine ... took 3.49 s"
            ("api_server_setup", 0.319),         // → 56.608 "Starting vLLM server on"
            ("api_server_up", 0.393),            // → 57.001 "Application startup complete."
            ("first_200_on_models", 0.0089),     // → ready 57.0099
        ])
        // The bytes are the checkpoint's size from weight_utils' line: 14.96 GiB.
        #expect(a.weights == WeightsCopy(gib: 14.96, seconds: 2.52, storeToGPUSeconds: nil))
    }

    /// Every successful run of the committed H200 results: the phases add up to ready, the
    /// unexplained remainder stays under 5 % of it, and the weights finding is the table's row.
    @Test func everyCommittedH200RunIsExplainedToWithinFivePercent() throws {
        var runs = 0
        for name in ["restart_20261129_195145", "restart_20261129_200920", "restart_20261129_214348"] {
            let data = try #require(FileManager.default.contents(atPath: "\(Self.repoResults)/\(name).json"))
            let obj = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            for v in obj["variants"] as? [[String: Any]] ?? [] {
                for r in v["runs"] as? [[String: Any]] ?? [] where r["outcome"] as? String == "ok" {
                    let log = "\(Self.repoResults)/\(name)_logs/" + ((r["log"] as? String ?? "") as NSString).lastPathComponent
                    let spawned = Self.date(try #require(r["spawned_at"] as? String))
                    let ready = spawned.addingTimeInterval(try #require(r["ready_ms"] as? Double) / 1000)
                    let a = StartupAnatomy.analyze(lines: try LogFileReader.read(log), startedAt: spawned, readyAt: ready)
                    let total = try #require(a.readySeconds)
                    let unexplained = a.phaseDurations[StartupAnatomy.unexplained] ?? 0
                    #expect(unexplained / total < 0.05, "\(log): \(unexplained) s of \(total) s unexplained")
                    #expect(abs(a.phases.reduce(0) { $0 + $1.seconds } - total) < 1e-6, "\(log)")
                    let w = try #require(a.phaseDurations["weights_load"], "\(log)")
                    #expect(w == a.reported["weights"], "\(log)")
                    #expect(a.findings.contains { $0.hasPrefix(String(format: "weights are %.0f %% of ready", w / total * 100)) }, "\(log)")
                    runs += 1
                }
            }
        }
        #expect(runs >= 20)
    }

    /// CRLF line ends (a log saved on another system) read like LF ones: the golden phases.
    @Test func crlfLineEndsReadAlike() throws {
        let text = try String(contentsOfFile: fixture("vllm026-h200-store-template-kv8g.log"), encoding: .utf8)
        let tmp = TempDir()
        let crlf = try LogFileReader.read(tmp.write("crlf.log", text.replacingOccurrences(of: "\n", with: "\r\n")))
        let lf = try LogFileReader.read(fixture("vllm026-h200-store-template-kv8g.log"))
        #expect(crlf.count == lf.count && crlf.map(\.text) == lf.map(\.text))
        let start = Self.date("2026-12-02T08:53:16.774Z"), ready = start.addingTimeInterval(7.2866)
        #expect(StartupAnatomy.analyze(lines: crlf, startedAt: start, readyAt: ready).phases
                == StartupAnatomy.analyze(lines: lf, startedAt: start, readyAt: ready).phases)
    }

    /// Bench's logs stamp each line's arrival to the millisecond; vLLM's own stamps have whole
    /// seconds, and the command says so. The same real lines without bench's stamps:
    @Test func theCommandNamesTheStampsResolution() throws {
        let text = try String(contentsOfFile: fixture("vllm026-h200-store-template-kv8g.log"), encoding: .utf8)
        let tmp = TempDir()
        let plain = tmp.write("plain.log", text.split(separator: "\n").map { String($0.dropFirst(27)) }.joined(separator: "\n"))
        let coarse = doctor(["anatomy", plain])
        #expect(coarse.status == 0, "\(coarse.stderr)")
        #expect(coarse.stdout.contains("(the log's times are vLLM's own whole-second stamps: each phase is ±1 s;"))
        let fine = doctor(["anatomy", fixture("vllm026-h200-store-template-kv8g.log"), "--json", "--pinned-gbps", "55.4"])
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(fine.stdout.utf8)) as? [String: Any])
        #expect(obj["stamp_resolution_s"] as? Double == 0.001)
        let copy = try #require(obj["weights_copy"] as? [String: Any])
        #expect(copy["gib"] as? Double == 14.96 && copy["seconds"] as? Double == 0.54 && copy["store_to_gpu_s"] as? Double == 0.51)
        #expect(abs((copy["share_of_pinned_copy"] as? Double ?? 0) - 14.96 * 1_073_741_824 / 0.51 / 1e9 / 55.4) < 1e-9)
        let bad = doctor(["anatomy", plain, "--pinned-gbps", "0"])
        #expect(bad.status == 2 && bad.stderr.contains("--pinned-gbps 0.0: expected a rate in GB/s above 0, like 55.2"), "\(bad.stderr)")
    }

    /// A line the anatomy does not know is never guessed at: the real log without its
    /// "Loading model from scratch" line leaves engine start → the copy's start unexplained.
    @Test func aMissingLineLeavesItsSpanUnexplained() throws {
        let text = try String(contentsOfFile: fixture("vllm026-h200-store-template-kv8g.log"), encoding: .utf8)
            .split(separator: "\n").filter { !$0.contains("Loading model from scratch") }.joined(separator: "\n")
        let tmp = TempDir()
        let l = try LogFileReader.read(tmp.write("cut.log", text))
        let a = StartupAnatomy.analyze(lines: l, startedAt: Self.date("2026-12-02T08:53:16.774Z"),
                                       readyAt: Self.date("2026-12-02T08:53:16.774Z").addingTimeInterval(7.2866))
        #expect(a.phaseDurations["device_init"] == nil && a.phaseDurations["model_skeleton"] == nil)
        // 17.212 "Initializing a V1 LLM engine" → 18.874, the copy's start: 1.359 + 0.303 s.
        #expect(abs((a.phaseDurations[StartupAnatomy.unexplained] ?? 0) - 1.662) < 0.0005)
        #expect(a.phaseDurations["weights_load"] == 0.54)
        #expect(a.findings.contains { $0.hasPrefix("1.66 s (23 % of ready) is unexplained") })
    }
}
