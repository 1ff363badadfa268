import Foundation
import Testing
import BenchTestSupport
@testable import Bench
import DoctorCore
import Basics
import SystemProbes
import TestSupport

/// Bench's own logic on the stub launcher: servers in this process, so the whole suite takes a
/// second or two. The real processes, templates, snapshots and containers keep their own
/// suites (BenchTests, TemplateBenchTests, SnapshotBenchTests, ComposeBenchTests).
@Suite("bench logic on the stub launcher")
struct BenchLogicTests {
    func variant(_ name: String, warmups: Int = 0, kvFromLog: Bool = false, argv: [String] = ["vllm", "serve", "m"]) -> Variant {
        var v = Variant(name: name, launch: .command(argv: argv, env: ["VARIANT_ENV": name], cwd: nil), port: freePort())
        v.warmupRuns = warmups
        v.kvCacheFromLog = kvFromLog
        return v
    }

    func plan(_ variants: [Variant], runs: Int = 3) -> BenchPlan {
        var p = BenchPlan(variants: variants)
        p.runs = runs
        p.readyTimeout = 5
        p.stopGrace = 1
        return p
    }

    let env = BenchEnvironment(processEnvironment: ["PATH": "/usr/bin"], commands: NoTools())
    let host = BenchHost(timestamp: Date(), gitSHA: "-", host: "stub", gpu: "none")

    @Test func theScheduleInterleavesTheVariantsRunByRunAfterTheWarmUps() {
        let stub = StubLauncher()
        let runner = BenchRunner(plan: plan([variant("a", warmups: 1), variant("b")]), env: env, launchers: [stub])
        let (records, partial) = runner.runAll()
        #expect(!partial)
        #expect(stub.starts.map(\.variant.name) == ["a", "a", "b", "a", "b", "a", "b"])
        #expect(records.map { "\($0.variant)\($0.run)" } == ["a1", "b1", "a2", "b2", "a3", "b3"])
        #expect(runner.warmups.map { "\($0.variant)\($0.run)" } == ["a0"])
        #expect(runner.warmups.first?.note == "warm-up start, not counted")
        for r in records {
            #expect(r.outcome == .ok, "\(r)")
            #expect(r.readyMs != nil && r.ttftMs != nil && r.completionTokens == 4 && r.promptTokens == 7)
            #expect(r.stopHow == "SIGTERM, exit 0")
            #expect(r.wallS > 0)
        }
        #expect(stub.servers.allSatisfy { $0.wasStopped })
        // The server gets bench's environment, the variant's, and nothing online unless asked.
        #expect(stub.starts.first?.environment["VARIANT_ENV"] == "a")
        #expect(stub.starts.first?.environment["HF_HUB_OFFLINE"] == nil)
    }

    @Test func aServerThatEndsBeforeReadyIsACrashLoopWithItsCauseAndBenchGoesOn() {
        let oom = "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"
        let stub = StubLauncher { _, n in n == 0 ? .crash(["INFO starting", oom], status: 3) : .healthy }
        var lines: [String] = []
        let (records, _) = BenchRunner(plan: plan([variant("a")], runs: 2), env: env, launchers: [stub], progress: { lines.append($0) }).runAll()
        #expect(records.map(\.outcome) == [.crashLoop, .ok])
        let crash = records[0]
        #expect(crash.cause == "gpu-out-of-memory")
        #expect(crash.exitStatus == "exited with status 3")
        #expect(crash.diagnosis?.hasPrefix("exited with status 3 before ready: crash-loop, not a hang. Likely cause: GPU out of memory") == true, "\(crash.diagnosis ?? "")")
        #expect(crash.lastLines == ["INFO starting", oom])
        #expect(crash.crashSeenMs != nil && crash.readyMs == nil)
        #expect(lines.contains { $0.hasPrefix("[a] last 2 line(s) of its log:") && $0.contains(oom) })
    }

    @Test func offlineACrashForTheMissingCacheSaysSo() {
        let stub = StubLauncher { _, _ in .crash(["huggingface_hub.errors.LocalEntryNotFoundError: outgoing traffic has been disabled"]) }
        var p = plan([variant("a")], runs: 1)
        p.offline = true
        let (records, _) = BenchRunner(plan: p, env: env, launchers: [stub]).runAll()
        #expect(records.first?.cause == "hf-cache-missing-offline")
        #expect(stub.starts.first?.environment["HF_HUB_OFFLINE"] == "1" && stub.starts.first?.environment["TRANSFORMERS_OFFLINE"] == "1")
    }

    @Test func eachWayARunFailsIsNamed() throws {
        let scripts: [String: StubScript] = [
            "never": StubScript(readyAfter: nil),
            "cut": StubScript(completion: .cutOff(after: 2)),
            "error": StubScript(completion: .status(500)),
            "refused": StubScript(refuse: LaunchError("no such image")),
            "engine": StubScript(refuse: LaunchError("the Docker engine stopped answering before x could start", engineLost: true)),
        ]
        let stub = StubLauncher { v, _ in scripts[v.name] ?? .healthy }
        var p = plan(scripts.keys.sorted().map { variant($0) }, runs: 1)
        p.readyTimeout = 0.3
        let (records, _) = BenchRunner(plan: p, env: env, launchers: [stub]).runAll()
        let by = Dictionary(uniqueKeysWithValues: records.map { ($0.variant, $0) })
        #expect(by["never"]?.outcome == .timeout && by["never"]?.diagnosis == "not ready after 0 s")
        #expect(by["cut"]?.outcome == .cutOff)
        #expect(by["cut"]?.diagnosis?.hasPrefix("first completion cut off: ") == true && by["cut"]?.diagnosis?.hasSuffix("; not counted") == true)
        #expect(by["error"]?.outcome == .failed && by["error"]?.diagnosis?.hasPrefix("completion failed: ") == true, "\(by["error"]?.diagnosis ?? "")")
        #expect(by["refused"]?.outcome == .failed && by["refused"]?.diagnosis == "cannot start: no such image")
        #expect(by["engine"]?.cause == "docker-engine-stopped" && by["engine"]?.diagnosis == "the Docker engine stopped answering before x could start")
        // Every server that started was stopped.
        #expect(stub.servers.allSatisfy { $0.wasStopped })
    }

    @Test func aPortInUseFailsTheRunBeforeAnyStart() throws {
        let v = variant("a")
        let squatter = try StubLauncher().start(v, LaunchRequest(baseEnvironment: [:]))
        defer { _ = squatter.stop(grace: 0) }
        let deadline = Date().addingTimeInterval(2)
        while !HTTPClient.isListening(port: v.port), Date() < deadline { usleep(2_000) }
        let stub = StubLauncher()
        let (records, _) = BenchRunner(plan: plan([v], runs: 1), env: env, launchers: [stub]).runAll()
        #expect(records.first?.outcome == .failed)
        #expect(records.first?.diagnosis == "port \(v.port) is already in use before the start: stop whatever listens there (ss -ltnp)")
        #expect(stub.starts.isEmpty)
    }

    @Test func theMediansCountOnlyTheOkRunsAndTheSpeedUpIsAgainstTheFirstVariant() throws {
        // a: ok, crash, ok (its ready times differ); b: ok three times.
        let stub = StubLauncher { v, n in
            if v.name == "a" { return n == 1 ? .crash(["boom"]) : StubScript(readyAfter: n == 0 ? 0.02 : 0.08) }
            return StubScript(readyAfter: 0.01)
        }
        let results = BenchSession(plan: plan([variant("a"), variant("b")]), env: env, host: host, launchers: { [stub] }).run()
        let a = try #require(results.summaries.first { $0.variant.name == "a" })
        let b = try #require(results.summaries.first { $0.variant.name == "b" })
        #expect(a.runs.map(\.outcome) == [.ok, .crashLoop, .ok])
        let okReady = a.runs.filter { $0.outcome == .ok }.compactMap(\.readyMs)
        #expect(okReady.count == 2 && okReady.allSatisfy { $0 >= 20 })
        #expect(a.readyMedianMs == median(okReady))
        #expect(b.readyMedianMs == median(b.runs.compactMap(\.readyMs)))
        #expect(b.speedup == a.readyMedianMs! / b.readyMedianMs!)
        #expect(!results.partial && !results.allOK)
    }

    @Test func anInterruptStopsTheServerInFlightAndTheResultsArePartial() {
        let interrupt = InterruptFlag()
        let stub = StubLauncher { _, n in
            guard n == 1 else { return .healthy }
            // The second start never gets ready; the signal comes while bench waits for it.
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { interrupt.trigger() }
            return StubScript(readyAfter: nil)
        }
        let results = BenchSession(plan: plan([variant("a")]), env: env, host: host, launchers: { [stub] }).run(interrupt: interrupt)
        let runs = results.summaries.first?.runs ?? []
        #expect(runs.map(\.outcome) == [.ok, .interrupted])
        #expect(results.partial)
        #expect(stub.starts.count == 2)
        #expect(stub.servers.allSatisfy { $0.wasStopped })
    }

    @Test func aHookSeesEveryStepInOrderAndCanStopBench() {
        let steps = StepLog(stopAfterRun: 2)
        let stub = StubLauncher(hooks: [steps])
        let results = BenchSession(plan: plan([variant("a")]), env: env, host: host, launchers: { [stub] }).run()
        #expect(Array(steps.steps.prefix(7)) == ["prepare 1", "willStart 1", "afterStart 1", "afterReady 1", "afterStop 1", "conclude 1", "afterRun 1"])
        // Stopped after its second run: partial results, with the hook's reason.
        #expect(results.summaries.first?.runs.count == 2)
        #expect(results.partial && results.partialReason == "the stub's engine went away")
    }

    @Test func aLeftoversHookActsBeforeThePortIsChecked() throws {
        let v = variant("a")
        let squatter = try StubLauncher().start(v, LaunchRequest(baseEnvironment: [:]))
        let deadline = Date().addingTimeInterval(2)
        while !HTTPClient.isListening(port: v.port), Date() < deadline { usleep(2_000) }
        // What compose's clean-up does for a leftover container: removed before the port check.
        let cleanup = Leftovers { _ = squatter.stop(grace: 0) }
        let runner = BenchRunner(plan: plan([v], runs: 1), env: env, launchers: [StubLauncher(hooks: [StepLog(stopAfterRun: 0), cleanup])])
        // Slot by slot: the launcher's leftovers hook first, its own (launcher-slot) hook after
        // the port check, the traits' observers last.
        #expect(runner.hooks(for: v).map { "\(type(of: $0))" } == ["Leftovers", "PortFree", "StepLog", "FreshCompileCache", "KVCacheKnob", "CompileCacheWatch"])
        let (records, _) = runner.runAll()
        #expect(records.first?.outcome == .ok, "\(records.first?.diagnosis ?? "")")
    }

    @Test func theOfflineProofIsReadOncePerVariantAndAMissingFlagFailsTheRun() {
        let stub = StubLauncher(hooks: [OfflineProof()]) { v, _ in
            StubScript(containerEnvironment: v.name == "good" ? ["HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "true"] : ["HF_HUB_OFFLINE": "0"])
        }
        var p = plan([variant("good"), variant("bad")], runs: 2)
        p.offline = true
        let (records, _) = BenchRunner(plan: p, env: env, launchers: [stub]).runAll()
        let good = records.filter { $0.variant == "good" }, bad = records.filter { $0.variant == "bad" }
        #expect(good.map(\.offlineVerified) == ["HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=true", nil])
        #expect(good.allSatisfy { $0.outcome == .ok })
        #expect(bad.first?.outcome == .failed)
        #expect(bad.first?.diagnosis?.hasPrefix("--offline did not reach service bad: its container has HF_HUB_OFFLINE=0, TRANSFORMERS_OFFLINE=unset.") == true, "\(bad.first?.diagnosis ?? "")")
        #expect(bad.first?.readyMs == nil)
        // Checked once: its second run is not failed again.
        #expect(bad.last?.outcome == .ok)
        #expect(stub.servers.allSatisfy { $0.wasStopped })
    }

    @Test func theKVCacheKnobStartsWithTheSizeTheReferenceLogged() {
        let logged = "(EngineCore pid=1) INFO [gpu_worker.py:555] Available KV cache memory: 1.5 GiB"
        let stub = StubLauncher { v, _ in StubScript(lines: v.name == "ref" ? [logged] : []) }
        let (records, _) = BenchRunner(plan: plan([variant("ref"), variant("knob", kvFromLog: true)], runs: 2), env: env, launchers: [stub]).runAll()
        let bytes = String(Int(1.5 * 1_073_741_824))
        let knobStarts = stub.starts.filter { $0.variant.name == "knob" }
        #expect(knobStarts.count == 2)
        for s in knobStarts {
            guard case .command(let argv, _, _) = s.variant.launch else { Issue.record("not a command"); continue }
            #expect(Array(argv.suffix(2)) == ["--kv-cache-memory-bytes", bytes])
        }
        #expect(records.filter { $0.variant == "knob" }.allSatisfy { $0.note == "--kv-cache-memory-bytes \(bytes) (from an earlier start's log)" })
    }

    @Test func theKVCacheKnobBeforeAnyLoggedSizeCannotStart() {
        let stub = StubLauncher()
        let (records, _) = BenchRunner(plan: plan([variant("knob", kvFromLog: true)], runs: 1), env: env, launchers: [stub]).runAll()
        #expect(records.first?.diagnosis?.hasPrefix("cannot start: knob takes --kv-cache-memory-bytes from an earlier start's log, but no start so far logged") == true)
        #expect(stub.starts.isEmpty)
    }

    @Test func theDecodeProbeAsksForItsLengthOnceTheFirstCompletionIsDone() {
        let stub = StubLauncher { _, _ in StubScript(completion: .tokens(16), tokenInterval: 0.002) }
        var p = plan([variant("a")], runs: 1)
        p.decodeProbeTokens = 16
        p.maxTokens = 8
        let (records, _) = BenchRunner(plan: p, env: env, launchers: [stub]).runAll()
        #expect(stub.servers.first?.requests.filter { $0.hasPrefix("POST") } == ["POST /v1/completions max_tokens=8", "POST /v1/completions max_tokens=16"])
        #expect(records.first?.decodeTokensPerS != nil)
    }
}

/// Records each step a hook is called for; stops bench after run `stopAfterRun`.
final class StepLog: RunHook {
    private(set) var steps: [String] = []
    let stopAfterRun: Int
    init(stopAfterRun: Int) { self.stopAfterRun = stopAfterRun }
    func prepare(_ run: RunContext) -> Bool { steps.append("prepare \(run.index)"); return true }
    func willStart(_ run: RunContext) throws { steps.append("willStart \(run.index)") }
    func afterStart(_ run: RunContext, _ server: ServerHandle) -> Bool { steps.append("afterStart \(run.index)"); return true }
    func afterReady(_ run: RunContext, _ server: ServerHandle) { steps.append("afterReady \(run.index)") }
    func afterStop(_ run: RunContext, _ server: ServerHandle) { steps.append("afterStop \(run.index)") }
    func conclude(_ run: RunContext, _ lines: [TimedLine]) { steps.append("conclude \(run.index)") }
    func afterRun(_ run: RunContext) -> Bool {
        steps.append("afterRun \(run.index)")
        if run.index == stopAfterRun { run.stopBench("the stub's engine went away"); return true }
        return false
    }
}

/// Clears what an earlier start left before the port check, as compose's clean-up does.
final class Leftovers: RunHook {
    let clear: () -> Void
    init(_ clear: @escaping () -> Void) { self.clear = clear }
    var slot: RunHookSlot { .leftovers }
    func prepare(_ run: RunContext) -> Bool { clear(); return true }
}
