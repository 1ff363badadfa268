import Foundation
import ServerClient
import Startup
import SystemProbes
import Basics

/// The sleep-mode variant: the server starts once with `--enable-sleep-mode` (and
/// `VLLM_SERVER_DEV_MODE=1`, which exposes the endpoints); each run sleeps it, optionally drops
/// the page cache, wakes it and measures until it answers and completes. Wake variants run as
/// a block after the restart runs (cold start, then N sleep/wake runs), so their server never
/// holds the GPU while another variant starts.
final class WakeRuns {
    unowned let bench: BenchRunner
    /// Each wake variant's sleeping server and its model, from its cold start to its block's end.
    private var servers: [String: ServerHandle] = [:]
    private var models: [String: String] = [:]

    init(bench: BenchRunner) { self.bench = bench }
    var plan: BenchPlan { bench.plan }
    var env: BenchEnvironment { bench.env }
    var interrupt: InterruptFlag { bench.interrupt }
    var completion: FirstCompletion { FirstCompletion(bench: bench) }
    func progress(_ line: String) { bench.progress.say(line) }

    /// One variant's block; true when bench must stop.
    func runBlock(_ v: Variant, into records: inout [RunRecord]) -> Bool {
        if interrupt.isSet { return true }
        let cold = coldStart(v)
        records.append(cold)
        progress(bench.progress.summary(cold))
        guard cold.outcome == .ok else { return false }
        for i in 1...max(1, plan.runs) {
            if interrupt.isSet { return true }
            let r = bench.progress.timed { wakeRun(v, i) }
            records.append(r)
            if r.outcome == .interrupted { return true }
            if r.outcome != .ok { break }
        }
        if let server = servers.removeValue(forKey: v.name) { _ = bench.stopServer(server); bench.waitUntilClean(port: v.port) }
        return false
    }

    /// Stops the servers still sleeping (bench was interrupted or stopped early).
    func finish() {
        for (_, s) in servers { _ = bench.stopServer(s) }
        servers = [:]
    }

    func coldStart(_ v: Variant) -> RunRecord {
        // Its first start is recorded as its cold start (run 0).
        var r = restartRunKeepingServer(v)
        r.note = "cold start with sleep mode enabled"
        return r
    }

    /// Like a restart run, but the server stays up for the wake runs.
    func restartRunKeepingServer(_ v: Variant) -> RunRecord {
        let run = RunContext(v, 0, bench: bench)
        var r = run.record
        let endpoint = HTTPEndpoint(host: plan.host, port: v.port)
        if HTTPClient.isListening(host: plan.host, port: v.port) {
            r.outcome = .failed; r.diagnosis = "port \(v.port) is already in use"; return r
        }
        let sink = LogSink(path: bench.logPath(v, 0), redact: env.redact)
        r.logPath = sink.path
        let server: ServerHandle
        do { server = try bench.start(run, bench.hooks(for: v), sink: sink) }
        catch { r.outcome = .failed; r.diagnosis = "cannot start: \(error)"; return r }
        servers[v.name] = server
        interrupt.track(server)
        defer { interrupt.track(nil) }
        progress("[\(v.name)] cold start with sleep mode")
        switch ReadinessPoller.wait(endpoint: endpoint, serverEnded: { server.ended() }, timeout: plan.readyTimeout, interrupted: { interrupt.isSet }) {
        case .ready(let at, let modelID):
            r.readyMs = at.timeIntervalSince(server.startedAt) * 1000
            models[v.name] = modelID ?? plan.model ?? ""
            completion.apply(StreamedCompletion.send(endpoint: endpoint, model: models[v.name]!, prompt: plan.prompt, maxTokens: plan.maxTokens), to: &r)
            // Without the endpoints this variant cannot measure anything: say how to fix it.
            if let missing = sleepEndpointsMissing(endpoint) {
                r.outcome = .failed
                r.diagnosis = missing
            }
        case .ended(let why, _):
            r.outcome = .crashLoop
            r.exitStatus = why
            CrashDiagnosis.explain(&r, server.logLines, offline: plan.offline, say: progress)
        case .timedOut: r.outcome = .timeout; r.diagnosis = "not ready after \(Int(plan.readyTimeout)) s"
        case .interrupted: r.outcome = .interrupted
        }
        let anatomy = StartupAnatomy.analyze(lines: server.logLines, startedAt: server.startedAt,
                                             readyAt: r.readyMs.map { server.startedAt.addingTimeInterval($0 / 1000) })
        r.phases = anatomy.phaseDurations
        r.findings = anatomy.findings
        r.lastLines = server.logLines.suffix(20).map(\.text)
        if r.outcome != .ok {
            _ = bench.stopServer(server)
            servers[v.name] = nil
            sink.close()
        }
        return r
    }

    func sleepEndpointsMissing(_ endpoint: HTTPEndpoint) -> String? {
        guard let r = try? HTTPClient.get(endpoint, "/is_sleeping", timeout: 5) else { return "GET /is_sleeping did not answer" }
        if r.status == 404 {
            return "sleep endpoints missing (GET /is_sleeping → 404): start the server with --enable-sleep-mode and VLLM_SERVER_DEV_MODE=1"
        }
        return r.status == 200 ? nil : "GET /is_sleeping → HTTP \(r.status)"
    }

    func isSleeping(_ endpoint: HTTPEndpoint) -> Bool? {
        guard let r = try? HTTPClient.get(endpoint, "/is_sleeping", timeout: 5), r.status == 200,
              let o = (try? JSONLite.parse([UInt8](r.body)))?.object else { return nil }
        return o["is_sleeping"]?.bool
    }

    func wakeRun(_ v: Variant, _ i: Int) -> RunRecord {
        var r = RunRecord(variant: v.name, run: i)
        guard let server = servers[v.name] else { r.outcome = .failed; r.diagnosis = "no running server"; return r }
        interrupt.track(server)
        defer { interrupt.track(nil) }
        let endpoint = HTTPEndpoint(host: plan.host, port: v.port)
        if case .ok(let inv) = GPUInventory.query(env.commands) { r.gpuBeforeSleepMiB = inv.memoryUsedMiB }
        let linesBefore = server.logLines.count
        let sleepStart = Date()
        guard let s = try? HTTPClient.request(endpoint, method: "POST", path: "/sleep?level=\(v.sleepLevel)", timeout: 300), s.status == 200 else {
            r.outcome = .failed
            r.diagnosis = "POST /sleep failed: start the server with --enable-sleep-mode and VLLM_SERVER_DEV_MODE=1"
            return r
        }
        r.sleepMs = Date().timeIntervalSince(sleepStart) * 1000
        guard isSleeping(endpoint) == true else {
            r.outcome = .failed; r.diagnosis = "GET /is_sleeping does not confirm sleep"; return r
        }
        if case .ok(let inv) = GPUInventory.query(env.commands) { r.gpuAfterSleepMiB = inv.memoryUsedMiB }
        // The server logs what sleep freed around its answer, and the log reader is another
        // thread: on a loaded machine the line can land after the 200. Wait for it, briefly.
        let logDeadline = Date().addingTimeInterval(1)
        while !server.logLines.dropFirst(linesBefore).contains(where: { $0.text.contains("Sleep mode freed") }), Date() < logDeadline {
            usleep(5_000)
        }
        for line in server.logLines.dropFirst(linesBefore) {
            if let m = try? #/Sleep mode freed ([0-9.]+) GiB/#.firstMatch(in: line.text) { r.sleepFreedGiB = Double(m.1) }
            if let m = try? #/of which ([0-9.]+) GiB is backed up in CPU/#.firstMatch(in: line.text) { r.sleepCPUBackupGiB = Double(m.1) }
        }
        if let e = DropCaches.drop(&r, plan: plan, env: env) { r.outcome = .failed; r.diagnosis = e; return r }
        bench.progress.step(v, i, "waking", since: sleepStart)
        let wakeStart = Date()
        guard let w = try? HTTPClient.request(endpoint, method: "POST", path: "/wake_up", timeout: 600), w.status == 200 else {
            r.outcome = .failed; r.diagnosis = "POST /wake_up failed"; return r
        }
        if v.sleepLevel == 2 {
            // Level 2 discarded the weights: reload them, or the output means nothing.
            let body = Data(#"{"method": "reload_weights"}"#.utf8)
            guard let rw = try? HTTPClient.request(endpoint, method: "POST", path: "/collective_rpc", body: body,
                                                   headers: ["Content-Type": "application/json"], timeout: 600), rw.status == 200 else {
                r.outcome = .failed
                r.diagnosis = "sleep level 2 needs the weights reloaded (POST /collective_rpc reload_weights) and that failed: the figure would not be a real restart"
                return r
            }
            r.note = "sleep_level=2, weights reloaded before the completion"
        }
        // "Answering again": /is_sleeping says false.
        let deadline = Date().addingTimeInterval(plan.readyTimeout)
        var awakeAt: Date?
        while Date() < deadline && !interrupt.isSet {
            if let r2 = try? HTTPClient.get(endpoint, "/is_sleeping", timeout: 2), r2.status == 200,
               let o = (try? JSONLite.parse([UInt8](r2.body)))?.object, o["is_sleeping"]?.bool == false {
                awakeAt = r2.finishedAt; break
            }
            if let why = server.ended() { r.outcome = .crashLoop; r.diagnosis = "server \(why) while waking"; return r }
            usleep(10_000)
        }
        guard let awake = awakeAt else { r.outcome = interrupt.isSet ? .interrupted : .timeout; return r }
        r.readyMs = awake.timeIntervalSince(wakeStart) * 1000
        completion.apply(StreamedCompletion.send(endpoint: endpoint, model: models[v.name] ?? plan.model ?? "", prompt: plan.prompt, maxTokens: plan.maxTokens), to: &r)
        if r.outcome == .ok { completion.probeDecode(endpoint, model: models[v.name] ?? plan.model ?? "", &r) }
        if r.note == nil { r.note = "sleep_level=\(v.sleepLevel)" }
        return r
    }
}
