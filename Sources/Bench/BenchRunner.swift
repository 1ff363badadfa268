import DoctorCore
import Foundation
import ServerClient
import Startup
import SystemProbes
import Runbook
import Basics

/// One run of one variant, as measured.
public struct RunRecord: Sendable {
    public enum Outcome: String, Sendable {
        case ok, crashLoop = "crash-loop", timeout, interrupted, failed
        /// The first reply stopped before the protocol's end: its times would be too short.
        case cutOff = "cut-off"
    }
    public var variant: String
    public var run: Int
    /// When the server process (or `docker compose up`) was started.
    public var spawnedAt: Date?
    public var outcome: Outcome = .ok
    public var readyMs: Double?
    public var ttftMs: Double?
    public var firstCompletionS: Double?
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var exitStatus: String?
    public var stopMs: Double?
    public var stopHow: String?
    public var diagnosis: String?
    /// The crash diagnosis' code (`hf-cache-missing-offline`, `port-in-use`, …) for scripts.
    public var cause: String?
    public var lastLines: [String] = []
    /// Tokens per second of the fixed-length decode probe (`bench --explore`).
    public var decodeTokensPerS: Double?
    /// torch.compile's cache, from the log: "hit" or "miss" (nil: no compile lines).
    public var compileCache: String?
    /// Cache-key folders (VLLM_CACHE_ROOT/torch_compile_cache/<hash>) this run created.
    public var newCompileCacheKeys: [String] = []
    /// Compose: from `up` to the container's own start (image and volume set-up included).
    public var containerStartMs: Double?
    /// When bench saw the server end before ready, from the spawn.
    public var crashSeenMs: Double?
    /// Offline flags as the container saw them (`docker inspect` Config.Env), checked once per variant.
    public var offlineVerified: String?
    public var logPath: String?
    public var cachesDropped = false
    public var storeRestarted = false
    /// How long the store restart took until the store was running again.
    public var storeRestartMs: Double?
    /// A template variant's template restart before this run (cold runs, after a crash).
    public var templateRestartMs: Double?
    /// A snapshot variant's restore: the image and the restorer's figures (SnapshotRuns.swift).
    public var snapshot: SnapshotRestore?
    /// What nvidia-smi showed on the GPU after this run's server stopped.
    public var gpuAfterStop: String?
    public var phases: [String: Double] = [:]
    public var findings: [String] = []
    // Wake variants.
    public var sleepMs: Double?
    public var gpuBeforeSleepMiB: Int?
    public var gpuAfterSleepMiB: Int?
    /// GPU memory the sleep freed (vLLM's "Sleep mode freed X GiB").
    public var sleepFreedGiB: Double?
    /// CPU memory holding the sleeping weights (vLLM's "of which X GiB is backed up in CPU").
    public var sleepCPUBackupGiB: Double?
    public var note: String?
    /// The wall time this run spent on things that are not the server's own start/stop.
    public var wallS: Double = 0
}

/// Set from a signal handler; checked between every step. Stopping the server in flight is
/// the runner's job, so nothing is left behind.
public final class InterruptFlag: @unchecked Sendable {
    // Sendable by hand: guarded by `lock`.
    private let lock = NSLock()
    private var set = false
    private var current: ServerHandle?
    public init() {}
    public var isSet: Bool { lock.lock(); defer { lock.unlock() }; return set }
    public func trigger() {
        lock.lock(); set = true; let server = current; lock.unlock()
        _ = server?.stop(grace: 5)
    }
    func track(_ s: ServerHandle?) { lock.lock(); current = s; lock.unlock() }
}

public struct BenchEnvironment: Sendable {
    public var processEnvironment: [String: String]
    public var commands: CommandRunning
    public var isRoot: Bool
    public var logDir: String?
    /// Masks tokens in the captured server logs, as in every other output.
    public var redact = Redactor(secrets: [])
    public var gpuPollTimeout: TimeInterval = 60
    /// Stops what bench started if bench itself dies (nil: no watchdog, e.g. in library tests).
    public var watchdog: Watchdog?
    /// The compose command compose variants start with (nil: none found).
    public var compose: ComposeCLI?
    public init(processEnvironment: [String: String] = ProcessInfo.processInfo.environment,
                commands: CommandRunning = SystemCommandRunner(), isRoot: Bool = InvokingUser.isRoot, logDir: String? = nil) {
        self.processEnvironment = processEnvironment; self.commands = commands; self.isRoot = isRoot; self.logDir = logDir
    }
}

/// Runs the plan: variants interleaved run by run (so drift hits all of them alike), each
/// run from a clean state to a measured first completion and back to a clean state.
public final class BenchRunner: @unchecked Sendable {
    // Sendable by hand: used from one thread; `interrupt` is itself thread-safe.
    public let plan: BenchPlan
    public let env: BenchEnvironment
    public let interrupt: InterruptFlag
    let progress: (String) -> Void
    var durations: [String: [TimeInterval]] = [:]
    var wakeServers: [String: ServerHandle] = [:]
    var wakeModels: [String: String] = [:]
    var offlineChecked: Set<String> = []
    /// Warm-up starts (run 0), kept apart from the measured runs.
    public private(set) var warmups: [RunRecord] = []
    /// Each variant's compile-cache verdict in its previous run.
    var lastCompileCache: [String: String] = [:]
    /// Per-run compile caches of `freshCompileCache` variants, removed once their run stopped.
    var coldCacheDirs: [String] = []
    /// Why the runs stopped before the plan's end, other than an interrupt (the engine went away).
    public internal(set) var stoppedEarly: String?
    /// Warm interpreter templates, one per Python (TemplateRuns.swift).
    var templates: [String: TemplateHost] = [:]
    /// The KV-cache size (bytes) the last start that profiled memory logged (KVCacheKnob.swift).
    var loggedKVCacheBytes: Int?
    /// Snapshot variants' images, made or found before their first run (SnapshotRuns.swift).
    var snapshots: [String: SnapshotReport] = [:]

    public init(plan: BenchPlan, env: BenchEnvironment, interrupt: InterruptFlag = InterruptFlag(), progress: @escaping (String) -> Void = { _ in }) {
        self.plan = plan; self.env = env; self.interrupt = interrupt; self.progress = progress
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
    /// (cold start, then N sleep/wake runs), so their server never holds the GPU while another
    /// variant starts.
    func runPlanned(into records: inout [RunRecord]) -> Bool {
        if runRestarts(plan.variants.filter { $0.kind == .restart }, into: &records) { return true }
        for v in plan.variants where v.kind == .wake {
            if interrupt.isSet { return true }
            let cold = coldStartWake(v)
            records.append(cold)
            progress(summary(cold))
            guard cold.outcome == .ok else { continue }
            for i in 1...max(1, plan.runs) {
                if interrupt.isSet { return true }
                let r = timed { wakeRun(v, i) }
                records.append(r)
                if r.outcome == .interrupted { return true }
                if r.outcome != .ok { break }
            }
            if let server = wakeServers.removeValue(forKey: v.name) { _ = stopServer(server); waitUntilClean(port: v.port) }
        }
        return interrupt.isSet
    }

    /// The restart loop, the only one: each run of each variant in turn (warm-up starts
    /// before a variant's first run); true when bench must stop.
    func runRestarts(_ variants: [Variant], into records: inout [RunRecord]) -> Bool {
        for i in 1...max(1, plan.runs) {
            for v in variants {
                if interrupt.isSet { return true }
                if i == 1, v.warmupRuns > 0, warmUp(v) { return true }
                records.append(timed { restartRun(v, i) })
                if records.last?.outcome == .interrupted { return true }
                if checkEngine(v, &records[records.count - 1]) || stoppedEarly != nil { return true }
            }
        }
        return false
    }

    /// Stops what outlives a run: sleeping wake servers and the templates.
    func finish() {
        for (_, s) in wakeServers { _ = stopServer(s) }
        wakeServers = [:]
        stopTemplates()
    }

    /// Starts not counted, before a variant's first run; true when bench must stop.
    func warmUp(_ v: Variant) -> Bool {
        for _ in 0..<v.warmupRuns {
            progress("[\(v.name)] warm-up start (torch.compile's cache for this configuration), not counted")
            var r = restartRun(v, 0)
            r.note = [r.note, "warm-up start, not counted"].compactMap { $0 }.joined(separator: "; ")
            warmups.append(r)
            progress(summary(r))
            if r.outcome == .interrupted { return true }
            if checkEngine(v, &r) { return true }
        }
        return false
    }

    private func timed(_ body: () -> RunRecord) -> RunRecord {
        let started = Date()
        var r = body()
        r.wallS = Date().timeIntervalSince(started)
        durations[r.variant, default: []].append(r.wallS)
        progress(summary(r))
        return r
    }

    func summary(_ r: RunRecord) -> String {
        switch r.outcome {
        case .ok:
            return "[\(r.variant)] run \(r.run)/\(plan.runs): ready \(fmtMs(r.readyMs)), TTFT \(fmtMs(r.ttftMs)), completion \(r.firstCompletionS.map { String(format: "%.3f s", $0) } ?? "-")"
        default:
            return "[\(r.variant)] run \(r.run)/\(plan.runs): \(r.outcome.rawValue): \(r.diagnosis ?? "")"
        }
    }

    func eta(after variant: String, run: Int) -> String {
        let all = durations.values.flatMap { $0 }
        guard !all.isEmpty else { return "" }
        let mean = all.reduce(0, +) / Double(all.count)
        let total = plan.runs * plan.variants.count
        let done = all.count
        return String(format: ", ETA %.0f s", mean * Double(max(0, total - done)))
    }

    func log(_ v: Variant, _ run: Int, _ phase: String, since: Date) {
        progress(String(format: "[%@] run %d/%d: %@ (%.1f s)%@", v.name, run, plan.runs, phase, Date().timeIntervalSince(since), eta(after: v.name, run: run)))
    }

    // MARK: - One restart run

    func restartRun(_ v: Variant, _ i: Int) -> RunRecord {
        var r = RunRecord(variant: v.name, run: i)
        let endpoint = HTTPEndpoint(host: plan.host, port: v.port)
        let t0 = Date()
        // Clean state: nothing on the port, no leftover container.
        if case .compose(_, _, _, let container, _) = v.launch {
            _ = env.commands.run(["docker", "rm", "-f", container], timeout: 30)
        }
        if HTTPClient.isListening(host: plan.host, port: v.port) {
            r.outcome = .failed
            r.diagnosis = "port \(v.port) is already in use before the start: stop whatever listens there (ss -ltnp)"
            return r
        }
        if let e = dropCachesIfAsked(&r) { r.outcome = .failed; r.diagnosis = e; return r }
        if v.serverlessLLM, plan.mode == .coldstart || plan.dropCaches, let cmd = v.storeRestart {
            // The store reads with O_DIRECT and keeps models in pinned RAM: only a restart empties it.
            let t = Date()
            if case .success(let out) = env.commands.run(cmd, timeout: 120), out.status == 0 {
                r.storeRestarted = true
                if cmd.first == "docker", cmd.count >= 3, cmd[1] == "restart" { waitRunning(cmd.last!) }
                r.storeRestartMs = Date().timeIntervalSince(t) * 1000
                log(v, i, String(format: "store restarted, up again after %.0f ms", r.storeRestartMs!), since: t0)
            } else { r.note = "store restart failed: \(cmd.joined(separator: " "))" }
        }
        if v.template, !prepareTemplate(v, i, &r, since: t0) { return r }
        if v.snapshot != nil, !prepareSnapshot(v, i, &r, since: t0) { return r }
        let gpuBefore = gpuProcessIDs()
        log(v, i, "starting", since: t0)
        let cacheRoot = compileCacheRoot(v)
        let keysBefore = cacheRoot.map(CompileCacheDoctor.keys(root:)) ?? []
        let sink = LogSink(path: logPath(v, i), redact: env.redact)
        r.logPath = sink.path
        let server: ServerHandle
        do {
            server = try startServer(v, sink: sink)
        } catch let e as LaunchError where e.engineLost {
            r.outcome = .failed; r.cause = Self.engineLostCause; r.diagnosis = e.description; return r
        } catch {
            r.outcome = .failed; r.diagnosis = "cannot start: \(error)"; return r
        }
        r.spawnedAt = server.startedAt
        interrupt.track(server)
        defer { interrupt.track(nil) }
        if server.serverStartedAt != server.startedAt {
            r.containerStartMs = server.serverStartedAt.timeIntervalSince(server.startedAt) * 1000
        }
        if let problem = verifyOffline(v, server, &r) {
            r.outcome = .failed
            r.diagnosis = problem
            r.stopHow = stopServer(server)
            waitUntilClean(port: v.port)
            sink.close()
            return r
        }
        log(v, i, "waiting for ready", since: t0)
        switch ReadinessPoller.wait(endpoint: endpoint, serverEnded: { server.ended() }, timeout: plan.readyTimeout, interrupted: { interrupt.isSet }) {
        case .ready(let at, let modelID):
            r.readyMs = at.timeIntervalSince(server.startedAt) * 1000
            log(v, i, "completing", since: t0)
            let c = StreamedCompletion.send(endpoint: endpoint, model: modelID ?? plan.model ?? "", prompt: plan.prompt, maxTokens: plan.maxTokens)
            apply(c, to: &r)
            if r.outcome == .ok { probeDecode(endpoint, model: modelID ?? plan.model ?? "", &r) }
            if r.outcome == .cutOff, let why = server.ended() { r.diagnosis = (r.diagnosis ?? "") + "; the server \(why)" }
        case .ended(let why, let at):
            r.outcome = .crashLoop
            r.exitStatus = why
            r.crashSeenMs = at.timeIntervalSince(server.startedAt) * 1000
        case .timedOut:
            r.outcome = .timeout
            r.diagnosis = "not ready after \(Int(plan.readyTimeout)) s"
        case .interrupted:
            r.outcome = .interrupted
        }
        awaitSnapshotCheck(v, server, &r)
        let stopStart = Date()
        r.stopHow = stopServer(server)
        waitUntilClean(port: v.port, ignoring: gpuBefore)
        r.stopMs = Date().timeIntervalSince(stopStart) * 1000
        recordGPUAfterStop(&r, before: gpuBefore)
        for dir in coldCacheDirs { try? FileManager.default.removeItem(atPath: dir) }
        coldCacheDirs = []
        sink.close()
        let lines = server.logLines
        r.lastLines = lines.suffix(20).map(\.text)
        if r.outcome == .crashLoop, let c = server as? ComposeServer, c.engineLost {
            markEngineLost(&r, service: c.service)
        } else if r.outcome == .crashLoop { explainCrash(&r, lines); checkTemplateAfter(v, i, &r) }
        noteSnapshot(v, lines, &r)
        // Phases of the server's own start; a container's start is its own phase before them.
        let anatomy = StartupAnatomy.analyze(lines: lines, startedAt: server.serverStartedAt,
                                             readyAt: r.readyMs.map { server.startedAt.addingTimeInterval($0 / 1000) })
        r.phases = anatomy.phaseDurations
        noteKVCache(v, lines, &r)
        if let c = r.containerStartMs { r.phases["container_start"] = c / 1000 }
        r.findings = anatomy.findings
        r.compileCache = anatomy.compileCache
        if let root = cacheRoot {
            r.newCompileCacheKeys = CompileCacheDoctor.keys(root: root).filter { !keysBefore.contains($0) }
            // Two starts in a row must both hit: a miss after a hit means the key changed.
            if r.compileCache == "miss", lastCompileCache[v.name] == "hit" {
                let what = r.newCompileCacheKeys.isEmpty ? "no new key folder (the cache was emptied or is not where the server writes)"
                    : "new key folder \(r.newCompileCacheKeys.map { "torch_compile_cache/\($0)" }.joined(separator: ", ")) under \(root)"
                r.findings.append("compile cache missed after a hit in the previous run: \(what): a flag, an environment variable, the model or a version in the cache key changed")
            }
        }
        if let c = r.compileCache { lastCompileCache[v.name] = c }
        return r
    }

    /// Where a plain-command variant's torch.compile cache lives (nil for compose: inside the container).
    func compileCacheRoot(_ v: Variant) -> String? {
        guard case .command(_, let venv, _) = v.launch else { return nil }
        var environment = env.processEnvironment
        for (k, x) in venv { environment[k] = x }
        return CompileCacheDoctor.resolve(environment: environment).path
    }

    /// The fixed-length decode probe: what a start-up knob costs once the server is up.
    func probeDecode(_ endpoint: HTTPEndpoint, model: String, _ r: inout RunRecord) {
        guard let n = plan.decodeProbeTokens, !interrupt.isSet else { return }
        let d = StreamedCompletion.send(endpoint: endpoint, model: model, prompt: plan.prompt, maxTokens: n, ignoreEOS: true)
        if d.error == nil && d.finished, let rate = d.decodeTokensPerS {
            r.decodeTokensPerS = rate
        } else {
            r.note = [r.note, "decode probe failed: \(d.error ?? d.cutOffSummary)"].compactMap { $0 }.joined(separator: "; ")
        }
    }

    static let engineLostCause = "docker-engine-stopped"

    /// Not a crash of the server: the engine under it went away. Not counted, and no later run can start.
    func markEngineLost(_ r: inout RunRecord, service: String) {
        r.outcome = .failed
        r.cause = Self.engineLostCause
        r.diagnosis = "the Docker engine stopped answering while \(service) was starting: start it again (sudo systemctl start docker) and re-run bench; this run is not counted"
    }

    /// After a compose run that did not end ok: is the engine still there? If not, say so in
    /// the record (a container the stopping engine stopped first looks like a crash) and stop.
    func checkEngine(_ v: Variant, _ r: inout RunRecord) -> Bool {
        guard case .compose(_, let service, _, _, _) = v.launch, r.outcome != .ok else { return false }
        if r.cause != Self.engineLostCause {
            if case .reachable = DockerEngine.probe(environment: env.processEnvironment, commands: env.commands) { return false }
            markEngineLost(&r, service: service)
        }
        stoppedEarly = "the Docker engine stopped answering"
        progress("bench stops here: no later run can start without the Docker engine; partial results follow")
        return true
    }

    /// A crash before ready: the cause in words and as a code, and the last lines on the terminal.
    func explainCrash(_ r: inout RunRecord, _ lines: [TimedLine]) {
        let d = CrashDiagnosis.diagnose(lines.map(\.text), offline: plan.offline)
        r.cause = d.code
        r.diagnosis = "\(r.exitStatus ?? "ended") before ready: crash-loop, not a hang. Likely cause: \(d.advice)"
        // A terminal line: the record keeps more of each (TimedLine.maxBytes). The server wrote
        // it, so its controls (a CR, a clear screen) are shown, never run (TerminalSafe).
        let tail = lines.suffix(8).map { "    │ " + TerminalSafe.visible(TimedLine.capped($0.text.utf8, limit: 400)) }
        if !tail.isEmpty { progress("[\(r.variant)] last \(tail.count) line(s) of its log:\n" + tail.joined(separator: "\n")) }
    }

    /// With --offline, the flags must reach the server. A compose service whose file lacks the
    /// `${HF_HUB_OFFLINE:-0}` toggle would run online and "prove" nothing: fail the run, naming it.
    func verifyOffline(_ v: Variant, _ server: ServerHandle, _ r: inout RunRecord) -> String? {
        guard plan.offline, !offlineChecked.contains(v.name), let c = server as? ComposeServer else { return nil }
        offlineChecked.insert(v.name)
        guard let seen = c.environment() else { return nil }
        let wrong = offlineFlagNames.filter { !isTruthyFlag(seen[$0]) }
        if wrong.isEmpty {
            r.offlineVerified = offlineFlagNames.map { "\($0)=\(seen[$0] ?? "")" }.joined(separator: " ")
            return nil
        }
        let shown = wrong.map { "\($0)=\(seen[$0] ?? "unset")" }.joined(separator: ", ")
        return "--offline did not reach service \(c.service): its container has \(shown). The compose file needs `\(wrong[0]): ${\(wrong[0]):-0}` in its environment (sllm-doctor fix --only compose-toggle)"
    }

    /// After `docker restart NAME`: until the container runs again (bounded).
    func waitRunning(_ container: String) {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if case .success(let o) = env.commands.run(["docker", "inspect", "-f", "{{.State.Running}}", container], timeout: 5),
               o.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "true" { return }
            usleep(20_000)
        }
    }

    /// Every server starts and stops through these two, so the watchdog knows what is running.
    func startServer(_ v: Variant, sink: LogSink) throws -> ServerHandle {
        var extra = serverEnv
        if v.freshCompileCache {
            // An empty cache folder per run, beside its log: torch.compile starts from nothing.
            let log = sink.path ?? FileFacts.join(NSTemporaryDirectory(), "sllm-\(getpid())-\(v.name).log")
            let logName = String(log.split(separator: "/").last ?? Substring(v.name))
            let dir = FileFacts.join(FileFacts.parent(of: log), "compile-cache-" + logName.replacingOccurrences(of: ".log", with: ""))
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            extra["VLLM_CACHE_ROOT"] = dir
            coldCacheDirs.append(dir)
        }
        let v = try withLoggedKVCache(v)
        let template = v.template ? Self.python(of: v).flatMap { templates[$0] } : nil
        let server = try Launcher.start(v, baseEnvironment: env.processEnvironment, extraEnv: extra, compose: env.compose,
                                        template: template) { sink.write($0) }
        env.watchdog?.track(server)
        return server
    }

    func stopServer(_ server: ServerHandle) -> String {
        let how = server.stop(grace: plan.stopGrace)
        env.watchdog?.forget(server)
        return how
    }

    func apply(_ c: StreamedCompletion, to r: inout RunRecord) {
        r.ttftMs = c.ttft.map { $0 * 1000 }
        r.firstCompletionS = c.total
        r.promptTokens = c.promptTokens
        r.completionTokens = c.completionTokens
        if interrupt.isSet {
            r.outcome = .interrupted
            if !c.finished { r.diagnosis = "interrupted during the first completion (\(c.cutOffSummary))" }
        } else if let e = c.error {
            r.outcome = .failed; r.diagnosis = "completion failed: \(e)"
        } else if !c.finished {
            r.outcome = .cutOff
            r.diagnosis = "first completion cut off: \(c.cutOffSummary); not counted"
        }
    }

    func dropCachesIfAsked(_ r: inout RunRecord) -> String? {
        guard plan.dropCaches else { return nil }
        guard env.isRoot else { return "--drop-caches needs root (writes /proc/sys/vm/drop_caches): re-run with sudo" }
        sync()
        guard let f = fopen("/proc/sys/vm/drop_caches", "w") else {
            return "cannot open /proc/sys/vm/drop_caches: \(String(cString: strerror(errno)))"
        }
        fputs("3\n", f)
        let rc = fclose(f)
        if rc != 0 { return "writing /proc/sys/vm/drop_caches failed: \(String(cString: strerror(errno)))" }
        r.cachesDropped = true
        return nil
    }

    /// After a stop: the port closes and the GPU memory comes back before the next start.
    /// `ignoring`: GPU processes that were there before the server started (the store's, another
    /// job's): they stay, and waiting for them would only burn `gpuPollTimeout` on every run.
    func waitUntilClean(port: Int, ignoring: Set<Int> = []) {
        let deadline = Date().addingTimeInterval(30)
        while HTTPClient.isListening(host: plan.host, port: port, timeout: 0.1) && Date() < deadline { usleep(20_000) }
        guard case .ok(let inv) = GPUInventory.query(env.commands), !inv.gpus.isEmpty else { return }
        let gpuDeadline = Date().addingTimeInterval(env.gpuPollTimeout)
        var current = inv
        // Released = no compute process left on the GPU but those that were there before.
        while current.processes.contains(where: { !ignoring.contains($0.pid) }) && Date() < gpuDeadline {
            usleep(250_000)
            guard case .ok(let next) = GPUInventory.query(env.commands) else { break }
            current = next
        }
    }

    func logPath(_ v: Variant, _ i: Int) -> String? {
        // Plans reject other names; this keeps any other caller from writing outside logDir.
        guard let dir = env.logDir, Variant.isSafeName(v.name) else { return nil }
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return "\(dir)/\(v.name)_run\(i).log"
    }
}

/// Writes each line with its arrival time (ISO 8601, milliseconds), as it comes.
final class LogSink: @unchecked Sendable {
    // Sendable by hand: writes are serialised by `lock`.
    let path: String?
    private let handle: FileHandle?
    private let lock = NSLock()
    private let redact: Redactor
    /// A run's log on disk stops growing here; the rest is counted in one closing line.
    static let maxBytes = 64 << 20
    private var written = 0
    private var cut = 0
    init(path: String?, redact: Redactor) {
        self.path = path
        self.redact = redact
        // OutputFile's rule: never a device, FIFO or link at the log's name (nil, as when the
        // folder cannot be written).
        if let path, let fd = try? OutputFile.openForWriting(path) {
            handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        } else { handle = nil }
    }
    func write(_ line: TimedLine) {
        guard let handle else { return }
        let text = "\(isoMillis(line.arrival)) \(line.stream == .stderr ? "E" : "O") \(redact(line.text))\n"
        lock.lock(); defer { lock.unlock() }
        if written + text.utf8.count > Self.maxBytes { cut += text.utf8.count; return }
        written += text.utf8.count
        handle.write(Data(text.utf8))
    }
    func close() {
        lock.lock(); defer { lock.unlock() }
        if cut > 0 { handle?.write(Data("\(isoMillis(Date())) E [sllm-doctor] log stopped at \(Self.maxBytes) bytes (\(cut) bytes cut)\n".utf8)) }
        try? handle?.close()
    }
}

func fmtMs(_ v: Double?) -> String { v.map { String(format: "%.0f ms", $0) } ?? "-" }

/// Why a server died before ready, from its last lines: a short code for JSON and scripts, and
/// the sentence with what to do.
public struct CrashDiagnosis: Sendable, Equatable {
    public var code: String
    public var advice: String

    public static func diagnose(_ lines: [String], offline: Bool) -> CrashDiagnosis {
        let text = lines.suffix(200).joined(separator: "\n")
        if text.contains("LocalEntryNotFoundError") || text.contains("outgoing traffic has been disabled") ||
            (offline && text.contains("config.json")) {
            return .init(code: "hf-cache-missing-offline",
                         advice: "HF cache missing while offline: warm it online (runbook step 5), then retry.")
        }
        if text.contains("CUDA out of memory") || text.contains("OutOfMemoryError") {
            return .init(code: "gpu-out-of-memory",
                         advice: "GPU out of memory: another process holds it, or --gpu-memory-utilization is too high.")
        }
        if text.contains("Address already in use") || text.contains("address already in use") {
            return .init(code: "port-in-use", advice: "The port is taken: stop whatever listens there (ss -ltnp).")
        }
        if text.contains("save_serverless_llm_state") || (text.contains("serverless_llm") && (text.contains("invalid choice") || text.contains("nknown load format")))
            || text.contains("No module named 'sllm_store'") || text.contains("No module named 'vllm_serverless_llm'") {
            return .init(code: "loader-missing",
                         advice: "This vLLM cannot load --load-format serverless_llm: install the ServerlessLLM loader plugin (or the patched vLLM) in the image.")
        }
        if text.contains("RegisterModel failed") {
            return .init(code: "store-incomplete", advice: "The store conversion is incomplete (empty tensor.data_0): convert again.")
        }
        if text.contains("No module named") {
            return .init(code: "module-missing", advice: "A Python module is missing: see the last lines.")
        }
        return .init(code: "unknown", advice: "See the log (last lines above).")
    }

    /// The sentence alone, for older callers and tests.
    public static func likelyCause(_ lines: [String], offline: Bool) -> String {
        "Likely cause: " + diagnose(lines, offline: offline).advice
    }
}
