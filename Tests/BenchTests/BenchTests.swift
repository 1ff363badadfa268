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
        #expect(results.tableHeader.count == 13)
        #expect(results.otherVariants.map(\.variant.name) == ["wake"])
        #expect(results.variantRows(rawLink: "L").first?[7].hasPrefix("wake-up") == true)
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

    @Test func rowGoesOnTopOfTheSeedTableOtherBytesKept() throws {
        let seed = try String(contentsOfFile: fixture("benchmarks-README-seed.md"), encoding: .utf8)
        let r = results(variants: ["baseline", "faststart"])
        let updated = BenchResults.insertRow(readme: seed, mode: .restart, header: r.tableHeader, row: r.tableRow(rawLink: "[json](x)"))
        let sep = "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---|---|\n"
        let fast = try #require(seed.range(of: "<!-- FASTRESTART:START -->"))
        let sepRange = try #require(seed.range(of: sep, range: fast.upperBound..<seed.endIndex))
        let row = "| 2027-01-15T08:00:00Z | abc1234 | h | none | m/x | 3 | 1002 | 2002 | 0.50 | 0.500 | 0.500 | drop_caches=1, note=n, ports=baseline:8000,faststart:8001 | [json](x) |\n"
        var expected = seed
        expected.insert(contentsOf: row, at: sepRange.upperBound)
        #expect(updated == expected)
        // The coldstart table is untouched, and a second row goes above the first.
        let again = BenchResults.insertRow(readme: updated, mode: .restart, header: r.tableHeader, row: r.tableRow(rawLink: "[json](y)"))
        #expect(again.components(separatedBy: "\n").filter { $0.hasPrefix("| 2027-01-15") }.count == 2)
        #expect(again.range(of: "[json](y)")!.lowerBound < again.range(of: "[json](x)")!.lowerBound)
    }

    @Test func markersAreCreatedWhenMissingAndWiderTablesStackAbove() throws {
        let cold = results(variants: ["baseline", "faststart"], mode: .coldstart)
        let created = BenchResults.insertRow(readme: nil, mode: .coldstart, header: cold.tableHeader, row: cold.tableRow(rawLink: "L"))
        let r2 = results(variants: ["baseline", "faststart"])
        #expect(created.contains("<!-- BENCHMARKS:START -->\n| Timestamp (UTC) |"))
        #expect(created.contains("| Baseline ready median (ms) | Faststart ready median (ms) | Ready speedup (x) |"))
        #expect(created.hasSuffix("<!-- BENCHMARKS:END -->\n"))
        let existing = "intro text\n"
        #expect(BenchResults.insertRow(readme: existing, mode: .restart, header: r2.tableHeader, row: r2.tableRow(rawLink: "L")).hasPrefix("intro text\n\n<!-- FASTRESTART:START -->"))
        // More variants: the seed table keeps its 13 columns; the others get rows of their own.
        var r4 = results(variants: ["baseline", "fastsafetensors", "sllm", "runai", "sleep-wake"])
        r4.plan.variants[2].serverlessLLM = true
        r4.summaries[2].variant.serverlessLLM = true
        r4.plan.variants[4].kind = .wake
        r4.summaries[4].variant.kind = .wake
        #expect(r4.tableHeader == r2.tableHeader)
        #expect(r4.seedPair.faststart?.variant.name == "sllm")   // the serverless_llm variant, not the second
        let row = r4.tableRow(rawLink: "L")
        #expect(row.count == 13)
        #expect(row[6] == "1002" && row[7] == "3002" && row[8] == "0.33")
        #expect(r4.notes.contains("variants=baseline,sllm") && r4.notes.contains("+3 variant(s) in the variants table"))
        let seed = try String(contentsOfFile: fixture("benchmarks-README-seed.md"), encoding: .utf8)
        var written = BenchResults.insertRow(readme: seed, mode: .restart, header: r4.tableHeader, row: row)
        written = BenchResults.insertRows(readme: written, markers: BenchResults.variantMarkers,
                                          header: BenchResults.variantsHeader, rows: r4.variantRows(rawLink: "L"))
        // Every seed line is still there, in order, and the new row sits under the seed's own header.
        let seedLines = seed.split(separator: "\n", omittingEmptySubsequences: false)
        var cursor = written.startIndex
        for line in seedLines where !line.isEmpty {
            let found = try #require(written.range(of: line, range: cursor..<written.endIndex), "lost: \(line)")
            cursor = found.upperBound
        }
        let lines = written.split(separator: "\n").map(String.init)
        let header = "| " + r4.tableHeader.joined(separator: " | ") + " |"
        #expect(lines.filter { $0 == header }.count == 1)
        let newRow = try #require(lines.firstIndex { $0.hasPrefix("| 2027-01-15") })
        #expect(lines[newRow - 2] == header)
        // The variants table: one row per other variant, every row with the header's cell count.
        let v = try #require(lines.firstIndex(of: BenchResults.variantMarkers.start))
        #expect(lines[v + 1] == "| " + BenchResults.variantsHeader.joined(separator: " | ") + " |")
        let variantLines = Array(lines[(v + 3)...].prefix { $0.hasPrefix("| ") })
        #expect(variantLines.count == 3)
        for l in variantLines { #expect(l.components(separatedBy: " | ").count == BenchResults.variantsHeader.count) }
        #expect(variantLines[2].contains("| sleep-wake | wake-up (sleep level 1) | 3/3 | 5002 |"), "\(variantLines[2])")
        #expect(!variantLines[2].contains("| restart |  "))
        #expect(variantLines[0].contains("| restart | fastsafetensors | restart | 3/3 | 2002 | 0.50 |"), "\(variantLines[0])")
    }

    @Test func compileCacheMissesAreNamedInTheNotes() {
        var r = results(variants: ["baseline", "faststart"])
        r.summaries[0].runs[0].findings = ["compile cache missed: persist VLLM_CACHE_ROOT on the fast disk (torch.compile took 32.5 s)"]
        #expect(r.notes.contains("compile cache missed in baseline#1"))
        #expect(!results(variants: ["baseline", "faststart"]).notes.contains("compile cache"))
    }

    @Test func jsonCarriesRunsMediansAndSpeedups() throws {
        let r = results(variants: ["baseline", "faststart"])
        let o = r.jsonObject()
        let variants = try #require(o["variants"] as? [[String: Any]])
        #expect((variants[1]["median"] as? [String: Any])?["ready_ms"] as? Double == 2002)
        #expect(variants[1]["speedup_vs_baseline"] as? Double == 0.5)
        #expect((variants[0]["runs"] as? [[String: Any]])?.count == 3)
        #expect(o["git_sha"] as? String == "abc1234")
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
