import DoctorCore
import Foundation
import ServerClient
import Startup
import SystemProbes
import Runbook
import Basics

/// Runs the plan: variants interleaved run by run (so drift hits all of them alike), each
/// run from a clean state to a measured first completion and back to a clean state. What a
/// launcher or a variant's traits add to a run (clean-up, caches, the store, a template, the
/// offline proof, the compile cache, the KV-cache size) are its hooks (Hooks/).
public final class BenchRunner: @unchecked Sendable {
    // Sendable by hand: used from one thread; `interrupt` is itself thread-safe.
    public let plan: BenchPlan
    public let env: BenchEnvironment
    public let interrupt: InterruptFlag
    /// How variants start, the first that takes a variant starting it (Launcher.standard()).
    public let launchers: [any ServerLauncher]
    let progress: BenchProgress
    let traits: TraitHooks
    lazy var wake = WakeRuns(bench: self)
    /// Warm-up starts (run 0), kept apart from the measured runs.
    public private(set) var warmups: [RunRecord] = []
    /// Why the runs stopped before the plan's end, other than an interrupt (the engine went away).
    public internal(set) var stoppedEarly: String?

    public init(plan: BenchPlan, env: BenchEnvironment, launchers: [any ServerLauncher] = Launcher.standard(),
                interrupt: InterruptFlag = InterruptFlag(), progress: @escaping (String) -> Void = { _ in }) {
        self.plan = plan; self.env = env; self.launchers = launchers; self.interrupt = interrupt
        self.progress = BenchProgress(plan: plan, say: progress)
        traits = TraitHooks()
    }

    public var serverEnv: [String: String] {
        plan.offline ? ["HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"] : [:]
    }

    /// All runs of the plan, then everything it started is stopped (`BenchSession` runs
    /// explore's combination before that stop, so a template serves it too).
    public func runAll() -> (records: [RunRecord], partial: Bool) {
        defer { finish() }
        var records: [RunRecord] = []
        let stopped = runPlanned(into: &records)
        return (records, stopped || interrupt.isSet)
    }

    /// The plan's runs; true when bench must stop (interrupted, or the engine went away).
    /// Restart variants run interleaved run by run; wake variants run afterwards as a block
    /// (WakeRuns), so their server never holds the GPU while another variant starts.
    func runPlanned(into records: inout [RunRecord]) -> Bool {
        if runRestarts(plan.variants.filter { $0.kind == .restart }, into: &records) { return true }
        for v in plan.variants where v.kind == .wake {
            if wake.runBlock(v, into: &records) { return true }
        }
        return interrupt.isSet
    }

    /// The schedule, the only one: each run of each variant in turn (warm-up starts before a
    /// variant's first run); true when bench must stop.
    func runRestarts(_ variants: [Variant], into records: inout [RunRecord]) -> Bool {
        for i in 1...max(1, plan.runs) {
            for v in variants {
                if interrupt.isSet { return true }
                if i == 1, v.warmupRuns > 0, warmUp(v) { return true }
                let run = progress.timed { restartRun(v, i) }
                let stop = run.record.outcome == .interrupted || concluded(run)
                records.append(run.record)
                if stop || stoppedEarly != nil { return true }
            }
        }
        return false
    }

    /// Starts not counted, before a variant's first run; true when bench must stop.
    func warmUp(_ v: Variant) -> Bool {
        for _ in 0..<v.warmupRuns {
            progress.say("[\(v.name)] warm-up start (torch.compile's cache for this configuration), not counted")
            let run = restartRun(v, 0)
            run.record.note = [run.record.note, "warm-up start, not counted"].compactMap { $0 }.joined(separator: "; ")
            warmups.append(run.record)
            progress.say(progress.summary(run.record))
            if run.record.outcome == .interrupted || concluded(run) { return true }
        }
        return false
    }

    /// The hooks' word after a run was counted: true when bench must stop.
    func concluded(_ run: RunContext) -> Bool {
        hooks(for: run.variant).reduce(false) { stop, hook in stop || hook.afterRun(run) }
    }

    /// Stops what outlives a run: sleeping wake servers and what the launchers keep (templates).
    func finish() {
        wake.finish()
        for l in launchers { l.finish(env) }
    }

    /// What the launchers made for the runs (templates, snapshot images), for the results.
    public var templateReports: [TemplateReport] { launchers.compactMap { $0 as? TemplateLauncher }.flatMap(\.runs.reports) }
    public var snapshotReports: [SnapshotReport] { launchers.compactMap { $0 as? SnapshotLauncher }.flatMap { $0.runs.reports(plan) } }

    /// The launcher's hooks and the traits' hooks of a variant, slot by slot.
    func hooks(for v: Variant) -> [any RunHook] {
        let all = (launcher(for: v)?.hooks(for: v) ?? []) + traits.hooks(for: v, plan: plan)
        return all.enumerated().sorted { ($0.element.slot, $0.offset) < ($1.element.slot, $1.offset) }.map(\.element)
    }

    func launcher(for v: Variant) -> (any ServerLauncher)? { launchers.first { $0.takes(v) } }

    // MARK: - One restart run: prepare → start → ready → completion → stop → conclude

    func restartRun(_ v: Variant, _ i: Int) -> RunContext {
        let run = RunContext(v, i, bench: self)
        let hooks = hooks(for: v)
        guard hooks.allSatisfy({ $0.prepare(run) }) else { return run }
        run.gpuBefore = GPUWatch(env).processIDs()
        run.log("starting")
        let sink = LogSink(path: logPath(v, i), redact: env.redact)
        run.record.logPath = sink.path
        defer { sink.close() }
        let server: ServerHandle
        do { server = try start(run, hooks, sink: sink) } catch let e as LaunchError where e.engineLost {
            return run.failed(e.description, cause: EngineCheck.engineLostCause)
        } catch { return run.failed("cannot start: \(error)") }
        run.record.spawnedAt = server.startedAt
        interrupt.track(server)
        defer { interrupt.track(nil) }
        if server.serverStartedAt != server.startedAt {
            run.record.containerStartMs = server.serverStartedAt.timeIntervalSince(server.startedAt) * 1000
        }
        guard hooks.allSatisfy({ $0.afterStart(run, server) }) else {
            run.record.stopHow = stopServer(server)
            waitUntilClean(port: v.port)
            return run
        }
        run.log("waiting for ready")
        FirstCompletion(bench: self).measure(run, server)
        for h in hooks { h.afterReady(run, server) }
        let stopStart = Date()
        run.record.stopHow = stopServer(server)
        waitUntilClean(port: v.port, ignoring: run.gpuBefore)
        run.record.stopMs = Date().timeIntervalSince(stopStart) * 1000
        GPUWatch(env).recordAfterStop(&run.record, before: run.gpuBefore)
        for h in hooks { h.afterStop(run, server) }
        conclude(run, server, hooks)
        return run
    }

    /// The record from the server's log: the crash's cause, the start's phases, then each hook's word.
    func conclude(_ run: RunContext, _ server: ServerHandle, _ hooks: [any RunHook]) {
        let lines = server.logLines
        run.record.lastLines = lines.suffix(20).map(\.text)
        if run.record.outcome == .crashLoop { CrashDiagnosis.explain(&run.record, lines, offline: plan.offline, say: progress.say) }
        // Phases of the server's own start; a container's start is its own phase before them.
        let anatomy = StartupAnatomy.analyze(lines: lines, startedAt: server.serverStartedAt,
                                             readyAt: run.record.readyMs.map { server.startedAt.addingTimeInterval($0 / 1000) })
        run.record.phases = anatomy.phaseDurations
        if let c = run.record.containerStartMs { run.record.phases["container_start"] = c / 1000 }
        run.record.findings = anatomy.findings
        run.record.compileCache = anatomy.compileCache
        for h in hooks { h.conclude(run, lines) }
    }

    /// Every server starts and stops through these two, so the watchdog knows what is running.
    func start(_ run: RunContext, _ hooks: [any RunHook], sink: LogSink) throws -> ServerHandle {
        run.request.onLine = { sink.write($0) }
        for h in hooks { try h.willStart(run) }
        guard let launcher = launcher(for: run.started) else { throw LaunchError("\(run.variant.name): no launcher starts this variant") }
        let server = try launcher.start(run.started, run.request)
        env.watchdog?.track(server)
        return server
    }

    func stopServer(_ server: ServerHandle) -> String {
        let how = server.stop(grace: plan.stopGrace)
        env.watchdog?.forget(server)
        return how
    }

    /// After a stop: the port closes and the GPU memory comes back before the next start.
    func waitUntilClean(port: Int, ignoring: Set<Int> = []) {
        GPUWatch(env).waitUntilClean(host: plan.host, port: port, ignoring: ignoring)
    }

    func logPath(_ v: Variant, _ i: Int) -> String? {
        // Plans reject other names; this keeps any other caller from writing outside logDir.
        guard let dir = env.logDir, Variant.isSafeName(v.name) else { return nil }
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return "\(dir)/\(v.name)_run\(i).log"
    }
}
