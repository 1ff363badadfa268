import Foundation
import Testing
import TestSupport
@testable import Bench
@testable import ServerClient
@testable import DoctorCore
@testable import SystemProbes
@testable import Runbook
@testable import Basics

func fakeVariant(_ name: String, port: Int, events: String, kind: VariantKind = .restart, extra: [String] = []) -> Variant {
    Variant(name: name, kind: kind,
            launch: .command(argv: ["python3", fakeServer, "fake/model", "--port", String(port), "--events", events] + extra,
                             env: [:], cwd: nil), port: port)
}

@Suite("bench engine against the loopback vLLM stand-in", .serialized)
struct BenchEngineTests {
    @Test func readyAndTTFTMatchTheServersOwnInstants() throws {
        let tmp = TempDir()
        let events = ServerEvents(path: tmp.path + "/events.jsonl")
        let port = freePort()
        var plan = BenchPlan(variants: [fakeVariant("baseline", port: port, events: events.path,
                                                    extra: ["--ready-delay", "0.6", "--first-token-delay", "0.2", "--tokens", "8", "--token-delay", "0.25"])])
        plan.runs = 1
        plan.stopGrace = 5
        let runner = BenchRunner(plan: plan, env: BenchEnvironment(logDir: tmp.path + "/logs"))
        let (records, partial) = runner.runAll()
        #expect(!partial)
        let r = try #require(records.first)
        #expect(r.outcome == .ok, "\(r.diagnosis ?? "")")
        let start = try #require(events.time("start"))
        let ready = try #require(events.time("ready"))
        let first = try #require(events.time("first_token"))
        // Measured ready (spawn → 200) against the server's own listen instant, on one clock.
        let spawnToReadyServer = ready.timeIntervalSince(start)
        let measured = try #require(r.readyMs) / 1000
        // The spawn happens before Python starts, so measured ≥ the server's own start → ready.
        #expect(measured >= spawnToReadyServer)
        let logLines = try String(contentsOfFile: r.logPath!, encoding: .utf8)
        #expect(logLines.contains("Application startup complete."))
        // Bench's ready lies between the server's listen and the arrival of bench's completion
        // request, which bench sends only after ready: an order no load can change (a 25 ms
        // tolerance could). 2 ms: the wall clock against the monotonic one over a second.
        let readyAbs = try #require(readyInstant(r, runner: runner, events: events))
        let requested = try #require(events.time("completion_request"))
        #expect(readyAbs.timeIntervalSince(ready) > -0.002, "ready seen \(ready.timeIntervalSince(readyAbs)) s before the server listened")
        #expect(readyAbs.timeIntervalSince(requested) < 0.002, "ready seen \(readyAbs.timeIntervalSince(requested)) s after the completion request arrived")
        expectFirstToken(try #require(r.ttftMs) / 1000, events: events, tokens: 8, tokenDelay: 0.25)
        #expect(first.timeIntervalSince(ready) > 0)
        #expect(r.completionTokens == 8)
        #expect(r.promptTokens == 9)
        #expect(r.phases["weights_load"] != nil)
        #expect(!HTTPClient.isListening(port: port))
    }

    /// TTFT is the first token, not a later one: at least the server's own request → first
    /// token (the request was sent before it arrived, the token read after it left), and less
    /// than that plus half the time the rest of the stream takes, a margin of a second that
    /// scheduling on a loaded machine does not cross (a 10 ms tolerance did).
    func expectFirstToken(_ ttft: Double, events: ServerEvents, tokens: Int, tokenDelay: Double,
                          sourceLocation: SourceLocation = #_sourceLocation) {
        guard let requested = events.time("completion_request"), let first = events.time("first_token") else {
            Issue.record("no completion_request or first_token event", sourceLocation: sourceLocation); return
        }
        let own = first.timeIntervalSince(requested)
        let restOfStream = Double(tokens - 1) * tokenDelay
        #expect(ttft > own - 0.002, "TTFT \(ttft) s, the server's own \(own) s", sourceLocation: sourceLocation)
        #expect(ttft < own + restOfStream / 2, "TTFT \(ttft) s, the server's own \(own) s: a later token was timed", sourceLocation: sourceLocation)
    }

    /// The measured ready instant on the wall clock: spawn + ready time.
    func readyInstant(_ r: RunRecord, runner: BenchRunner, events: ServerEvents) -> Date? {
        r.spawnedAt.map { $0.addingTimeInterval(r.readyMs! / 1000) }
    }

    @Test func tokensPrintedByAServerAreMaskedInTheCapturedLog() throws {
        let tmp = TempDir()
        let port = freePort()
        let token = "hf_ServerLeakedThisToken0123456789"
        var plan = BenchPlan(variants: [fakeVariant("baseline", port: port, events: tmp.path + "/e",
                                                    extra: ["--ready-delay", "0.2", "--tokens", "2", "--echo", "HF_TOKEN=\(token) and secretvalue42"])])
        plan.runs = 1
        var env = BenchEnvironment(logDir: tmp.path + "/logs")
        env.redact = Redactor(secrets: ["secretvalue42"])
        let (records, _) = BenchRunner(plan: plan, env: env).runAll()
        let log = try String(contentsOfFile: try #require(records.first?.logPath), encoding: .utf8)
        #expect(log.contains("HF_TOKEN=***redacted*** and ***redacted***"))
        #expect(!log.contains("ServerLeaked"))
        #expect(!log.contains("secretvalue42"))
    }

    /// Seen on the H100: a random-weight model's tokens decode to "", and TTFT went missing.
    @Test func ttftCountsTokenEventsWithEmptyText() throws {
        let tmp = TempDir()
        let port = freePort()
        var plan = BenchPlan(variants: [fakeVariant("baseline", port: port, events: tmp.path + "/e",
                                                    extra: ["--ready-delay", "0.3", "--first-token-delay", "0.15", "--tokens", "4", "--empty-text",
                                                            "--token-delay", "0.7"])])
        plan.runs = 1
        let (records, _) = BenchRunner(plan: plan, env: BenchEnvironment()).runAll()
        let r = try #require(records.first)
        #expect(r.outcome == .ok)
        expectFirstToken(try #require(r.ttftMs) / 1000, events: ServerEvents(path: tmp.path + "/e"), tokens: 4, tokenDelay: 0.7)
        #expect(r.completionTokens == 4)
    }

    @Test func crashBeforeReadyIsACrashLoopDetectedWithinASecond() throws {
        let tmp = TempDir()
        let events = ServerEvents(path: tmp.path + "/events.jsonl")
        let port = freePort()
        let server = try ProcessServer(argv: ["python3", fakeServer, "--port", String(port), "--events", events.path,
                                              "--ready-delay", "5", "--crash-after", "0.4", "--exit-code", "3"],
                                       environment: ProcessInfo.processInfo.environment, cwd: nil, onLine: nil)
        let outcome = ReadinessPoller.wait(endpoint: HTTPEndpoint(host: "127.0.0.1", port: port), serverEnded: { server.ended() }, timeout: 10)
        guard case .ended(let why, let at) = outcome else { Issue.record("expected ended, got \(outcome)"); return }
        #expect(why == "exited with status 3")
        let crashed = try #require(events.time("crash"))
        #expect(at.timeIntervalSince(crashed) < 1.0)
        #expect(at.timeIntervalSince(crashed) >= 0)
        _ = server.stop(grace: 1)
        let diagnosis = CrashDiagnosis.likelyCause(server.logLines.map(\.text), offline: true)
        #expect(diagnosis.contains("HF cache missing while offline: warm it online (runbook step 5)"))
    }

    @Test func runnerReportsCrashLoopWithLastLinesAndNeverWaitsPastTimeout() throws {
        let tmp = TempDir()
        let port = freePort(), port2 = freePort()
        var plan = BenchPlan(variants: [
            fakeVariant("baseline", port: port, events: tmp.path + "/e1", extra: ["--ready-delay", "5", "--crash-after", "0.3"]),
            fakeVariant("slow", port: port2, events: tmp.path + "/e2", extra: ["--ready-delay", "30"]),
        ])
        plan.runs = 1
        // 4 s: the crash (0.3 s after Python starts) comes first even when Python takes seconds
        // to start on a loaded machine (a 1 s limit timed it out instead).
        plan.readyTimeout = 4
        plan.offline = true
        let started = Date()
        let (records, _) = BenchRunner(plan: plan, env: BenchEnvironment()).runAll()
        // The slow server answers at 30 s: a run under 20 s did not wait for it.
        #expect(Date().timeIntervalSince(started) < 20)
        let crash = try #require(records.first { $0.variant == "baseline" })
        #expect(crash.outcome == .crashLoop)
        #expect(crash.diagnosis?.contains("crash-loop, not a hang") == true)
        #expect(crash.diagnosis?.contains("HF cache missing while offline") == true)
        #expect(crash.lastLines.contains { $0.contains("LocalEntryNotFoundError") })
        let slow = try #require(records.first { $0.variant == "slow" })
        #expect(slow.outcome == .timeout)
        #expect(!HTTPClient.isListening(port: port2))
    }

    @Test func sigtermIgnoredEscalatesToSIGKILL() throws {
        let tmp = TempDir()
        let port = freePort()
        var plan = BenchPlan(variants: [fakeVariant("stubborn", port: port, events: tmp.path + "/e", extra: ["--ready-delay", "0.3", "--ignore-sigterm", "--tokens", "2"])])
        plan.runs = 1
        plan.stopGrace = 0.5
        let (records, _) = BenchRunner(plan: plan, env: BenchEnvironment()).runAll()
        let r = try #require(records.first)
        #expect(r.outcome == .ok)
        #expect(r.stopHow?.contains("SIGKILL") == true)
        #expect(!HTTPClient.isListening(port: port))
        let pid = try #require(ServerEvents(path: tmp.path + "/e").all().first?["pid"] as? Int)
        #expect(processGone(Int32(pid)))
    }

    @Test func wakeVariantMeasuresWakeAgainstTheServersOwnTime() throws {
        let tmp = TempDir()
        let events = ServerEvents(path: tmp.path + "/events.jsonl")
        let port = freePort()
        var plan = BenchPlan(variants: [fakeVariant("wake", port: port, events: events.path, kind: .wake,
                                                    extra: ["--ready-delay", "0.3", "--wake-delay", "0.15", "--sleep-delay", "1.2", "--tokens", "4"])])
        plan.runs = 2
        let (records, _) = BenchRunner(plan: plan, env: BenchEnvironment()).runAll()
        #expect(records.map(\.run) == [0, 1, 2])
        #expect(records.allSatisfy { $0.outcome == .ok }, "\(records.map { $0.diagnosis ?? "" })")
        for (i, r) in records.filter({ $0.run > 0 }).enumerated() {
            let ws = try #require(events.time("wake_start", nth: i)), aw = try #require(events.time("awake", nth: i))
            let own = aw.timeIntervalSince(ws)
            let measured = try #require(r.readyMs) / 1000
            // At least the server's own wake (the request left before it arrived, the answer
            // came after it), and short of the sleep before it by a margin of 0.6 s that load
            // does not cross (a 25 ms tolerance did).
            #expect(measured > own - 0.002, "wake measured \(measured) vs server \(own)")
            #expect(measured < own + 0.6, "wake measured \(measured) vs server \(own): the 1.2 s sleep was timed too")
            #expect(r.sleepFreedGiB == 67.08)
            #expect(r.sleepCPUBackupGiB == 15.55)
            #expect(r.sleepMs != nil)
        }
        #expect(!HTTPClient.isListening(port: port))
    }

    @Test func sleepLevel2ReloadsWeightsBeforeTheCompletion() throws {
        let tmp = TempDir()
        let port = freePort()
        var v = fakeVariant("wake2", port: port, events: tmp.path + "/e", kind: .wake, extra: ["--ready-delay", "0.3", "--tokens", "2"])
        v.sleepLevel = 2
        var plan = BenchPlan(variants: [v])
        plan.runs = 1
        let (records, _) = BenchRunner(plan: plan, env: BenchEnvironment()).runAll()
        let r = try #require(records.first { $0.run == 1 })
        #expect(r.outcome == .ok, "\(r.diagnosis ?? "")")
        #expect(r.note == "sleep_level=2, weights reloaded before the completion")
        let slept = ServerEvents(path: tmp.path + "/e").all().first { $0["event"] as? String == "slept" }
        #expect(slept?["level"] as? Int == 2)
    }

    @Test func wakeWithoutSleepEndpointsIsReportedNotHung() throws {
        let tmp = TempDir()
        let port = freePort(), port2 = freePort()
        // A shell command line: the runner cannot add --enable-sleep-mode to it.
        let port3 = freePort()
        var plan = BenchPlan(variants: [
            fakeVariant("baseline", port: port2, events: tmp.path + "/e2", extra: ["--ready-delay", "0.2", "--tokens", "2"]),
            fakeVariant("other", port: port3, events: tmp.path + "/e3", extra: ["--ready-delay", "0.2", "--tokens", "2"]),
            Variant(name: "wake", kind: .wake, launch: .command(argv: ["/bin/sh", "-c", "exec python3 \(fakeServer) --port \(port) --ready-delay 0.2"], env: [:], cwd: nil), port: port),
        ])
        plan.runs = 1
        let started = Date()
        let (records, _) = BenchRunner(plan: plan, env: BenchEnvironment()).runAll()
        #expect(Date().timeIntervalSince(started) < 15)
        let w = try #require(records.first { $0.variant == "wake" })
        #expect(w.outcome == .failed)
        #expect(w.diagnosis?.contains("--enable-sleep-mode and VLLM_SERVER_DEV_MODE=1") == true)
        #expect(records.first { $0.variant == "baseline" }?.outcome == .ok)
        #expect(!HTTPClient.isListening(port: port))
        let results = BenchResults(plan: plan, host: BenchHost(timestamp: Date(), gitSHA: "abc", host: "h", gpu: "none"),
                                   summaries: VariantSummary.summarize(plan, records), partial: false, wallS: 1)
        // The failed wake-up has its row in the wake-up table, never among the restarts.
        let tables = ReadmeReport.tables([.init(document: results.document, raw: "L")])
        #expect(tables.first { $0.block == ReadmeReport.wake }?.table?.rows.map { $0[5] } == ["wake"])
        #expect(tables.first { $0.block == ReadmeReport.restart }?.table?.rows.contains { $0[5] == "wake" } == false)
    }
}

@Suite("bench results")
struct BenchResultsTests {
    func results(variants: [String], mode: BenchMode = .restart) -> BenchResults {
        let plan = BenchPlan(variants: variants.enumerated().map { Variant(name: $0.element, launch: .command(argv: ["x"], env: [:], cwd: nil), port: 8000 + $0.offset) })
        var records: [RunRecord] = []
        for (k, v) in variants.enumerated() {
            for i in 1...3 { var r = RunRecord(variant: v, run: i); r.readyMs = Double(1000 * (k + 1) + i); r.firstCompletionS = 0.5; records.append(r) }
        }
        var p = plan; p.runs = 3; p.model = "m/x"; p.dropCaches = true; p.note = "n"; p.mode = mode
        return BenchResults(plan: p, host: BenchHost(timestamp: Date(timeIntervalSince1970: 1_800_000_000), gitSHA: "abc1234", host: "h", gpu: "none"),
                            summaries: VariantSummary.summarize(p, records), partial: false, wallS: 10)
    }

    func entry(_ r: BenchResults, _ link: String = "[json](results/x.json)") -> ReadmeReport.Entry { .init(document: r.document, raw: link) }

    @Test func anEarlierToolsRowsAreKeptBelowOursAndTheTextAroundByteForByte() throws {
        let seed = try String(contentsOfFile: fixture("benchmarks-README-seed.md"), encoding: .utf8)
        let r = results(variants: ["baseline", "faststart"])
        let updated = ReadmeReport.update(seed, entries: [entry(r)])
        let start = try #require(seed.range(of: ReadmeReport.restart.start))
        let ours = "| Timestamp (UTC) | Git SHA | Host | GPU | Model | Variant | Runs ok | Ready median (ms) | TTFT median (ms) | First completion median (s) | Speed-up vs first variant (x) | Speed-up vs vLLM as given (x) | Notes | Raw |\n"
            + "|---|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---|---|\n"
            + "| 2027-01-15T08:00:00Z | abc1234 | h | none | m/x | baseline | 3/3 | 1002 | - | 0.500 | 1.00 | - | drop_caches=1, note=n | [json](results/x.json) |\n"
            + "| 2027-01-15T08:00:00Z | abc1234 | h | none | m/x | faststart | 3/3 | 2002 | - | 0.500 | 0.50 | - | - | [json](results/x.json) |\n"
        // Our table goes first in the block; the seed's table, rows and all, stays below it.
        var expected = seed
        expected.insert(contentsOf: "\n" + ours, at: start.upperBound)
        #expect(updated == expected)
        // The same results again: the same bytes (the rows are rebuilt, not added).
        #expect(ReadmeReport.update(updated, entries: [entry(r)]) == updated)
    }

    @Test func blocksAreCreatedWhenMissingAndLeftOutWhenEmpty() throws {
        let cold = results(variants: ["baseline", "faststart"], mode: .coldstart)
        let created = ReadmeReport.update(nil, entries: [entry(cold)])
        #expect(created.hasPrefix("# Benchmarks\n\n<!-- BENCHMARKS:START -->\n| Timestamp (UTC) |"))
        #expect(created.hasSuffix("<!-- BENCHMARKS:END -->\n") && !created.contains("FASTRESTART") && !created.contains("WAKE"))
        #expect(ReadmeReport.update("intro text\n", entries: [entry(results(variants: ["a"]))]).hasPrefix("intro text\n\n<!-- FASTRESTART:START -->\n"))
        // An earlier version's variants block whose rows are all ours now goes, with its blank line.
        let former = "intro\n\n\(ReadmeReport.formerVariants.start)\n| A | Raw |\n|---|---|\n| x | [json](results/x.json) |\n\(ReadmeReport.formerVariants.end)\n"
        let rebuilt = ReadmeReport.update(former, entries: [entry(results(variants: ["a"]))])
        #expect(!rebuilt.contains("VARIANTS") && rebuilt.hasPrefix("intro\n\n<!-- FASTRESTART:START -->"))
    }

    /// Issue 30: the restart table said "+3 variant(s) in the variants table" and showed two.
    @Test func everyVariantHasItsRowAndAWakeUpItsOwnTable() throws {
        var r4 = results(variants: ["baseline", "fastsafetensors", "sllm", "runai", "sleep-wake"])
        r4.plan.variants[4].kind = .wake
        r4.summaries[4].variant.kind = .wake
        let tables = ReadmeReport.tables([entry(r4)])
        let restart = try #require(tables.first { $0.block == ReadmeReport.restart }?.table)
        #expect(restart.rows.map { $0[5] } == ["baseline", "fastsafetensors", "sllm", "runai"])
        for row in restart.rows { #expect(row.count == restart.header.count) }
        #expect(restart.rows.map { $0[7] } == ["1002", "2002", "3002", "4002"])
        #expect(restart.rows.map { $0[10] } == ["1.00", "0.50", "0.33", "0.25"])
        #expect(restart.rows.allSatisfy { $0[11] == "-" })   // no variant is vLLM as given
        #expect(!restart.text.contains("variants table"))
        let wake = try #require(tables.first { $0.block == ReadmeReport.wake }?.table)
        #expect(wake.rows.map { $0[5] } == ["sleep-wake"] && wake.rows[0][8] == "5002" && wake.rows[0][6] == "1")
        #expect(wake.header.contains("Wake-up median (ms)") && !wake.header.contains("Ready median (ms)"))
    }

    @Test func speedUpAgainstVLLMAsGivenFromTheBenchOrAReferenceFile() throws {
        var r = results(variants: ["tuned", "as-is", "fast"])
        r.summaries[1].variant.vllmAsGiven = true
        let rows = try #require(ReadmeReport.tables([entry(r)]).first?.table?.rows)
        #expect(rows.map { $0[11] } == ["2.00", "1.00", "0.67"])   // 2002 ms over each ready median
        #expect(rows[1][12].contains("vllm_as_given: the reference"))
        // Another bench's file names it: the plan's `reference:`.
        let tmp = TempDir("reference")
        let file = tmp.write("ref.json", r.document.json().prettyText())
        let ref = try ResultsDocument.reference("ref.json", relativeTo: tmp.path)
        #expect(ref == ResultsDocument.Reference(file: "ref.json", variant: "as-is", readyMedianMs: 2002))
        #expect(try ResultsDocument.reference("ref.json#fast", relativeTo: tmp.path).readyMedianMs == 3002)
        #expect(throws: ResultsReadError(file: file, path: "$.variants", expected: "a variant named nope")) {
            try ResultsDocument.reference("ref.json#nope", relativeTo: tmp.path)
        }
        var other = results(variants: ["x"])
        other.plan.reference = ref
        let doc = other.document
        #expect(doc.json()["reference"]?["variant"]?.string == "as-is")
        #expect(ReadmeReport.tables([entry(other)]).first?.table?.rows.first?[11] == "2.00")   // 2002 / 1002
    }

    @Test func compileCacheMissesAreNamedInTheNotes() {
        var r = results(variants: ["baseline", "faststart"])
        r.summaries[0].runs[0].findings = ["compile cache missed: persist VLLM_CACHE_ROOT on the fast disk (torch.compile took 32.5 s)"]
        let rows = ReadmeReport.tables([entry(r)]).first?.table?.rows ?? []
        #expect(rows.first?[12].contains("compile cache missed in run 1") == true)
        #expect(ReadmeReport.tables([entry(results(variants: ["baseline", "faststart"]))]).first?.table?.rows.allSatisfy { !$0[12].contains("compile cache") } == true)
    }

    @Test func jsonCarriesRunsMediansAndSpeedups() throws {
        let r = results(variants: ["baseline", "faststart"])
        let o = r.document.json()
        guard case .array(let variants) = o["variants"] else { Issue.record("no variants"); return }
        #expect(variants[1]["median"]?["ready_ms"]?.double == 2002)
        #expect(variants[1]["speedup_vs_baseline"]?.double == 0.5)
        if case .array(let runs) = variants[0]["runs"] { #expect(runs.count == 3) } else { Issue.record("no runs") }
        #expect(o["git_sha"]?.string == "abc1234")
        #expect(ReadyChart.svg(r).contains("median 2002 ms"))
    }

    @Test func planFileErrorsNameFileAndVariant() throws {
        let tmp = TempDir()
        let ctx = RunbookFacts(options: .init(root: tmp.path))
        let bad = tmp.write("plan.yaml", "variants:\n  - name: a\n    port: 99999\n    command: x\n")
        #expect(throws: PlanError.self) { try BenchPlan.load(path: bad, context: ctx) }
        do { _ = try BenchPlan.load(path: bad, context: ctx) } catch let e as PlanError {
            #expect("\(e)" == "\(bad): variants[0] (a): port is 99999: expected 1-65535")
            // The error carries where it went wrong, not only the sentence.
            #expect(e.file == bad && e.variant == "a" && e.key == "port")
        }
        let unnamed = tmp.write("p3.yaml", "variants:\n  - port: 8001\n    command: x\n")
        do { _ = try BenchPlan.load(path: unnamed, context: ctx) } catch let e as PlanError {
            #expect(e.file == unnamed && e.variant == "variants[0]" && e.key == "name")
        }
        let good = tmp.write("p2.yaml", "runs: 2\nvariants:\n  - name: a\n    port: 8001\n    command: vllm serve m --port 8001\n  - name: w\n    kind: wake\n    port: 8002\n    command: [vllm, serve]\n")
        let plan = try BenchPlan.load(path: good, context: ctx)
        #expect(plan.runs == 2)
        #expect(plan.variants[0].launch == .command(argv: ["/bin/sh", "-c", "exec vllm serve m --port 8001"], env: [:], cwd: nil))
        #expect(plan.variants[1].kind == .wake)
    }
}

@Suite("bench command line", .serialized)
struct BenchCLITests {
    func repo(_ tmp: TempDir) -> String {
        let repo = makeRunbook(tmp)
        makeStore(modelFolder: tmp.path + "/nvme/sllm-models", repo: "meta-llama/Llama-3.1-8B-Instruct")
        return repo
    }

    @Test func offlineGateRefusesWithAColdCacheAndStartsNothing() throws {
        let tmp = TempDir()
        let root = repo(tmp)
        let port = freePort()
        let plan = tmp.write("plan.yaml", "variants:\n  - name: baseline\n    port: \(port)\n    command: [python3, \(fakeServer), --port, '\(port)', --events, \(tmp.path)/ev]\n")
        let r = doctor(["bench", "--root", root, "--plan", plan, "--offline", "--runs", "1", "--ignore", "storage"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("the servers would crash-loop"))
        #expect(r.stderr.contains("model.hf-cache"))
        #expect(!FileFacts.exists(tmp.path + "/ev"))
        // Warm the cache: the same command now runs and writes results.
        makeHFCache(hub: tmp.path + "/nvme/hf-cache/hub", repo: "meta-llama/Llama-3.1-8B-Instruct")
        let ok = doctor(["bench", "--root", root, "--plan", plan, "--offline", "--runs", "1", "--json", "--ignore", "storage"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any])
        #expect((obj["flags"] as? [String: Any])?["offline"] as? Bool == true)
        let readme = try String(contentsOfFile: root + "/benchmarks/README.md", encoding: .utf8)
        #expect(readme.contains("offline=1"))
    }

    @Test func sigintStopsTheServerAndWritesPartialResults() throws {
        let tmp = TempDir()
        let root = repo(tmp)
        makeHFCache(hub: tmp.path + "/nvme/hf-cache/hub", repo: "meta-llama/Llama-3.1-8B-Instruct")
        let port = freePort()
        let events = ServerEvents(path: tmp.path + "/ev")
        let plan = tmp.write("plan.yaml", "variants:\n  - name: baseline\n    port: \(port)\n    command: [python3, \(fakeServer), --port, '\(port)', --ready-delay, '60', --events, \(events.path)]\n")
        let child = try ChildProcess([doctorBinary, "bench", "--root", root, "--plan", plan, "--runs", "2", "--ignore", "storage"], environment: ProcessInfo.processInfo.environment)
        _ = try #require(events.waitFor("start"))
        let serverPID = try #require(events.all().first?["pid"] as? Int)
        kill(child.pid, SIGINT)
        let status = child.wait(timeout: 20)
        #expect(status == 1)
        child.drainOutput()
        let r = (stderr: child.output.filter { $0.stream == .stderr }.map(\.text).joined(separator: "\n"), ())
        #expect(processGone(Int32(serverPID)), "server \(serverPID) left behind")
        let results = try FileManager.default.contentsOfDirectory(atPath: root + "/benchmarks/results").filter { $0.hasSuffix(".json") }
        let json = try #require(results.first)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/benchmarks/results/" + json))) as? [String: Any])
        #expect(obj["partial"] as? Bool == true)
        // No run finished: the JSON records the attempt, the README table gets no row.
        #expect(!FileFacts.exists(root + "/benchmarks/README.md"))
        #expect(r.stderr.contains("no row added"))
    }
}
