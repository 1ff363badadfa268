import Foundation
import Testing
@testable import Startup
import Bench
@testable import DoctorCore
@testable import SystemProbes
import TestSupport
@testable import Runbook
@testable import Basics

@Suite("start-up anatomy")
struct AnatomyTests {
    /// A vLLM 0.26 start-up as the H100 run logged it (times from ../shared/gpu/README.md's warm 8B run).
    static let vllm026 = """
    2026-11-23T07:41:00.000Z O INFO 11-23 07:41:00 [api_server.py:1] vLLM API server version 0.26.0
    2026-11-23T07:41:28.000Z O (EngineCore pid=123) INFO 11-23 07:41:28 [core.py:90] Initializing a V1 LLM engine (v0.26.0) with config: model='/nvme/m'
    2026-11-23T07:41:55.000Z O (EngineCore pid=123) INFO 11-23 07:41:55 [default_loader.py:300] Loading weights took 2.63 seconds
    2026-11-23T07:41:56.000Z O (EngineCore pid=123) INFO 11-23 07:41:56 [gpu_model_runner.py:2000] Model loading took 14.9889 GiB memory and 3.120000 seconds
    2026-11-23T07:41:57.000Z O (EngineCore pid=123) INFO 11-23 07:41:57 [backends.py:100] Directly load the compiled graph(s) for compile range (1, 8192) from the cache, took 2.711 s
    2026-11-23T07:42:02.000Z O (EngineCore pid=123) INFO 11-23 07:42:02 [monitor.py:34] torch.compile took 6.30 s in total
    2026-11-23T07:42:03.000Z O (EngineCore pid=123) INFO 11-23 07:42:03 [gpu_worker.py:300] Available KV cache memory: 52.13 GiB
    2026-11-23T07:42:11.000Z O (EngineCore pid=123) INFO 11-23 07:42:11 [gpu_model_runner.py:3000] Graph capturing finished in 8 secs, took 0.55 GiB
    2026-11-23T07:42:22.000Z O (EngineCore pid=123) INFO 11-23 07:42:22 [core.py:200] init engine (profile, create kv cache, warmup model) took 28.20 s (compilation: 6.30 s)
    2026-11-23T07:42:23.000Z O INFO:     Application startup complete.
    """

    func lines(_ text: String) throws -> [TimedLine] {
        let tmp = TempDir()
        let path = tmp.write("log.txt", text)
        return try LogFileReader.read(path)
    }

    @Test func vLLM026PhasesAndFindings() throws {
        let l = try lines(Self.vllm026)
        let start = ISO8601DateFormatter().date(from: "2026-11-23T07:40:33Z")!
        let ready = ISO8601DateFormatter().date(from: "2026-11-23T07:42:24Z")!
        let a = StartupAnatomy.analyze(lines: l, startedAt: start, readyAt: ready)
        let p = a.phaseDurations
        #expect(p["interpreter_and_imports"] == 27)
        #expect(p["api_server_to_engine"] == 28)
        // No "Loading model from scratch" here: engine start → the copy's start is unexplained,
        // the copy itself is the loader's own 2.63 s, and no "Starting vLLM server" line either.
        #expect(p["weights_load"] == 2.63)
        #expect(abs((p["unexplained"] ?? 0) - (24.37 + 1)) < 1e-6)
        #expect(p["torch_compile"] == 6 && p["kv_cache_profile"] == 1 && p["warmup"] == 11)
        #expect(p["cuda_graph_capture"] == 8)
        #expect(p["first_200_on_models"] == 1)
        #expect(abs(a.phases.reduce(0) { $0 + $1.seconds } - 111) < 1e-6)
        #expect(a.reported["weights"] == 2.63)
        #expect(a.reported["model_loading"] == 3.12)
        #expect(a.reported["compile"] == 6.3)
        #expect(a.compileCache == "hit")
        #expect(a.findings.contains("weights are 2 % of ready: a faster loader cannot give more than 1.02×"))
        #expect(a.findings.contains { $0.hasPrefix("Python start-up of the API server and engine processes is 50 %") })
        #expect(a.findings.contains { $0.hasPrefix("the engine process started 28.0 s after the API server") && $0.contains("VLLM_WORKER_MULTIPROC_METHOD=fork") })
    }

    /// Two captured H100 starts (2026-11-24, bench --explore): vLLM's CLI spawning the engine
    /// process, and the fork knob. Only the spawned one is told about fork.
    @Test func aSpawnedEngineProcessIsNamedAForkedOneIsNot() throws {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let spawned = StartupAnatomy.analyze(lines: try LogFileReader.read(fixture("vllm026-h100-engine-spawned.log")),
                                             startedAt: iso.date(from: "2026-11-24T18:42:04.713Z"),
                                             readyAt: iso.date(from: "2026-11-24T18:42:04.713Z")!.addingTimeInterval(30.281))
        let forked = StartupAnatomy.analyze(lines: try LogFileReader.read(fixture("vllm026-h100-engine-forked.log")),
                                            startedAt: iso.date(from: "2026-11-24T18:44:37.683Z"),
                                            readyAt: iso.date(from: "2026-11-24T18:44:37.683Z")!.addingTimeInterval(23.849))
        let s = try #require(spawned.phaseDurations["api_server_to_engine"])
        let f = try #require(forked.phaseDurations["api_server_to_engine"])
        #expect(s > 8 && f < 1, "\(s) \(f)")
        #expect(spawned.findings.contains { $0.hasPrefix("the engine process started") && $0.contains("VLLM_WORKER_MULTIPROC_METHOD=fork") })
        #expect(!forked.findings.contains { $0.hasPrefix("the engine process started") })
        #expect(spawned.compileCache == nil && forked.compileCache == nil)   // torch.compile off in both
    }

    @Test func olderWordingsAndCompileMiss() throws {
        let old = """
        INFO 03-01 10:00:00 llm_engine.py:100] Initializing an LLM engine (v0.6.3) with config: model='m'
        INFO 03-01 10:00:20 model_runner.py:1000] Loading weights took 13.62 seconds
        INFO 03-01 10:00:21 model_runner.py:1000] Model loading took 14.99 GiB and 14.100000 seconds
        INFO 03-01 10:00:25 backends.py:100] Dynamo bytecode transform time: 9.10 s
        INFO 03-01 10:00:55 monitor.py:33] torch.compile takes 31.70 s in total
        INFO 03-01 10:01:00 gpu_executor.py:122] # GPU blocks: 27000, # CPU blocks: 2048
        INFO 03-01 10:01:10 model_runner.py:1500] Graph capturing finished in 10 secs.
        INFO:     Application startup complete.
        """
        let l = try lines(old)
        let a = StartupAnatomy.analyze(lines: l, startedAt: nil, readyAt: l.last?.arrival)
        #expect(a.reported["compile"] == 31.7)
        #expect(a.reported["model_loading"] == 14.1)
        #expect(a.compileCache == "miss")
        #expect(a.findings.contains { $0.hasPrefix("compile cache missed: persist VLLM_CACHE_ROOT") })
        #expect(a.phaseDurations["kv_cache_profile"] == 5)
        // No load-start line before the weights: 20 − 13.62 s from the engine's line is unexplained.
        #expect(abs((a.phaseDurations["unexplained"] ?? 0) - 6.38) < 1e-6)
        // "Application startup complete." has no stamp: it takes the previous line's time; with
        // no init-engine or "Starting vLLM server" line before it, its span is not named.
        #expect(a.phaseDurations["api_server_up"] == nil)
    }

    /// runai-model-streamer's own wording, as vLLM 0.26 logged it on the H100.
    @Test func runaiStreamerWeightsLine() throws {
        let log = """
        2026-11-23T08:52:22.683Z O (EngineCore pid=1756) INFO 11-23 08:52:22 [core.py:90] Initializing a V1 LLM engine (v0.26.0) with config: model='/nvme/m'
        2026-11-23T08:52:36.917Z E (EngineCore pid=1756) INFO:runai_model_streamer.safetensors_streamer.safetensors_streamer:[RunAI Streamer] Overall time to stream 15.0 GiB of all files to cpu: 13.39s, 1.1 GiB/s
        2026-11-23T08:52:37.680Z O (EngineCore pid=1756) INFO 11-23 08:52:37 [model_runner.py:305] Model loading took 15.0 GiB and 15.347318 seconds
        """
        let a = StartupAnatomy.analyze(lines: try lines(log), startedAt: nil, readyAt: nil)
        #expect(a.reported["weights"] == 13.39)
        #expect(a.reported["model_loading"] == 15.347318)
        #expect(a.phases.map(\.name) == ["api_server_to_engine", "unexplained", "weights_load", "model_load_rest"])
        #expect(a.weights?.gib == 15.0)   // the model's GPU memory: the streamer names no checkpoint size here
    }

    @Test func otherServersAndGarbageNeverCrash() throws {
        let nginx = "2026-11-23T07:41:00.000Z O listening on 8080\n2026-11-23T07:41:02.000Z O ready\n"
        let l = try lines(nginx)
        let a = StartupAnatomy.analyze(lines: l, startedAt: l.first!.arrival.addingTimeInterval(-1), readyAt: l.last!.arrival.addingTimeInterval(0.5))
        #expect(a.phases.map(\.name) == ["interpreter_and_imports", "unexplained"])
        #expect(a.phaseDurations["unexplained"] == 2.5)
        #expect(try lines("\u{0}\u{1}binary junk\n::::\n").isEmpty)
        let empty = StartupAnatomy.analyze(lines: [], startedAt: nil, readyAt: nil)
        #expect(empty.phases.isEmpty)
        #expect(empty.findings.isEmpty)
    }

    @Test func anatomyCommandOnACapturedLog() throws {
        let tmp = TempDir()
        let log = tmp.write("run.log", Self.vllm026)
        let r = doctor(["anatomy", log, "--started-at", "2026-11-23T07:40:33Z", "--ready-at", "2026-11-23T07:42:24Z", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["ready_s"] as? Double == 111)
        #expect(doctor(["anatomy", tmp.path + "/missing.log"]).status == 2)
        #expect(doctor(["anatomy", log, "--started-at", "yesterday"]).stderr.contains("--started-at yesterday: expected an ISO 8601 time"))
    }
}

@Suite("TTFT probe", .serialized)
struct ProbeTests {
    @Test func coldFirstRequestIsSlowerAndTheTemplateIsFilled() throws {
        let tmp = TempDir()
        let port = freePort()
        let out = tmp.path + "/first_token_latency.md"
        let r = doctor(["probe", "--url", "http://127.0.0.1:\(port)", "--warm-runs", "5", "--out", out,
                        "--restart", "python3 \(fakeServer) --port \(port) --ready-delay 0.3 --cold-extra 0.3 --first-token-delay 0.05 --tokens 8"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("verdict: C) runtime warm-up"))
        let md = try String(contentsOfFile: out, encoding: .utf8)
        #expect(md.hasPrefix("# Day 007 — TTFT Baseline (Tier 1)"))
        // cold_1 carries the 0.3 s extra; TTFT measured from the stream.
        let cold = try #require(md.split(separator: "\n").first { $0.hasPrefix("| cold_1 |") })
        let cells = cold.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        let ttft = try #require(Double(cells[2]))
        // At least the server's own 0.3 + 0.05 s before its first token (a load can only add to
        // it); under half a second more: not the whole reply or a second request.
        #expect(ttft >= 345 && ttft < 850, "cold TTFT \(ttft) ms")
        #expect(cells[3] == "17")  // 9 prompt + 8 completion tokens
        #expect(md.contains("- cold penalty = cold_1 / warm median = "))
        #expect(md.components(separatedBy: "\n| ").count >= 8)
        #expect(!HTTPClient.isListening(port: port))
    }

    /// Issue 30: a probe's results are a file `bench report` reads: the README's TTFT table is a
    /// report over it like every other table.
    @Test func theProbesResultsAreAFileAndATableOfTheReadme() throws {
        let tmp = TempDir()
        let port = freePort()
        let results = tmp.path + "/results/probe_20261202_150000.json"
        _ = tmp.mkdir("results")
        let r = doctor(["probe", "--url", "http://127.0.0.1:\(port)", "--warm-runs", "3", "--out", tmp.path + "/p.md", "--results", results,
                        "--note", "stand-in", "--restart", "python3 \(fakeServer) --port \(port) --ready-delay 0.2 --first-token-delay 0.02 --tokens 4"])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try ProbeDocument.read(file: results)
        #expect(doc.warm.count == 3 && doc.cold.ttftMs != nil && doc.note == "stand-in" && doc.maxTokens == 64)
        #expect(try ProbeDocument.read(file: tmp.write("again.json", doc.json().prettyText() + "\n")) == doc)
        let readme = tmp.path + "/README.md"
        let report = doctor(["bench", "report", "--results-dir", tmp.path + "/results", "--readme", readme])
        #expect(report.status == 0, "\(report.stderr)")
        let text = try String(contentsOfFile: readme, encoding: .utf8)
        #expect(text.contains(ReadmeReport.ttft.start + "\n| Timestamp (UTC) | Host | GPU | Model | Server | Max tokens | cold_1 TTFT (ms) |"), "\(text)")
        let row = try #require(text.split(separator: "\n").first { $0.contains("probe_20261202_150000.json") })
        #expect(row.contains("| 3/3 |") && row.contains("stand-in") && row.contains("fake_vllm.py"))
        #expect(doctor(["bench", "report", "--check", "--results-dir", tmp.path + "/results", "--readme", readme]).status == 0)
        // A field missing is named by file and path.
        _ = tmp.write("results/probe_20261202_150001.json", doc.json().prettyText().replacingOccurrences(of: "\"max_tokens\"", with: "\"max_tokenz\""))
        let bad = doctor(["bench", "report", "--results-dir", tmp.path + "/results", "--readme", readme])
        #expect(bad.status == 2 && bad.stderr.contains("probe_20261202_150001.json: $.max_tokens: expected a value"), "\(bad.stderr)")
    }

    /// Nothing listens on the port: the run failed (exit 1, as a failed check), the command
    /// was right; a bad --url stays a usage error (exit 2).
    @Test func noServerIsAFailureNotAUsageError() {
        let port = freePort()
        let r = doctor(["probe", "--url", "http://127.0.0.1:\(port)"])
        #expect(r.status == 1, "\(r.status): \(r.stderr)")
        #expect(r.stderr.contains("GET /v1/models does not answer 200"))
        let url = doctor(["probe", "--url", "ftp://x"])
        #expect(url.status == 2 && url.stderr.contains("expected http://HOST:PORT"))
    }

    /// A server that dies before ready under --restart: exit 1 naming the crash.
    @Test func aServerThatDiesBeforeReadyIsExitOne() {
        let tmp = TempDir()
        let port = freePort()
        let r = doctor(["probe", "--url", "http://127.0.0.1:\(port)", "--out", tmp.path + "/t.md",
                        "--restart", "python3 \(fakeServer) --port \(port) --ready-delay 5 --crash-after 0.2"])
        #expect(r.status == 1, "\(r.status): \(r.stderr)")
        #expect(r.stderr.contains("before ready: crash-loop"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tmp.path + "/t.md"))
    }

    /// The server dies in the middle of cold_1's stream: exit 1 with the failed request.
    @Test func aRequestThatFailsIsExitOne() {
        let tmp = TempDir()
        let port = freePort()
        let r = doctor(["probe", "--url", "http://127.0.0.1:\(port)", "--out", tmp.path + "/t.md",
                        "--restart", "python3 \(fakeServer) --port \(port) --ready-delay 0.2 --tokens 8 --die-mid-stream 2"])
        #expect(r.status == 1, "\(r.status): \(r.stderr)")
        #expect(r.stderr.contains("error: cold_1 failed: "), "\(r.stderr)")
        #expect(!HTTPClient.isListening(port: port))
    }

    /// cold_1 answers, then the server dies in warm_1: the report is written with the failures
    /// in its notes, and the run is exit 1 naming the first failed request.
    @Test func aWarmRequestThatFailsIsExitOneAfterTheReport() throws {
        let tmp = TempDir()
        let port = freePort()
        let out = tmp.path + "/t.md"
        let r = doctor(["probe", "--url", "http://127.0.0.1:\(port)", "--out", out, "--warm-runs", "2",
                        "--restart", "python3 \(fakeServer) --port \(port) --ready-delay 0.2 --tokens 8 --die-mid-stream 2 --die-on-completion 2"])
        #expect(r.status == 1, "\(r.status): \(r.stderr)")
        #expect(r.stderr.contains("error: 3 of 3 warm request(s) failed (written in the notes of \(out)); warm_1: the reply was cut off (2 token event(s)"), "\(r.stderr)")
        let md = try String(contentsOfFile: out, encoding: .utf8)
        #expect(md.contains("| 1 | ") && md.contains("| cold_1 | "))
    }
}
