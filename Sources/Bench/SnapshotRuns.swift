import DoctorCore
import Foundation
import ServerClient
import SystemProbes
import Runbook
import Basics

/// Snapshot variants: the image is made before the first run when its folder holds none; each
/// run restores it, and a restore whose greedy answer differs from the fresh server's is not ok.
final class SnapshotRuns: RunHook {
    static let differsCause = "snapshot-output-differs"
    static let restoreCause = "snapshot-restore-failed"
    static let createCause = "snapshot-create-failed"
    /// Each variant's image, made or found before its first run.
    private var snapshots: [String: SnapshotReport] = [:]

    func reports(_ plan: BenchPlan) -> [SnapshotReport] { plan.variants.compactMap { snapshots[$0.name] } }

    /// The variant's image, made if its folder holds none; false (and the record says why) when the run cannot go on.
    func prepare(_ run: RunContext) -> Bool {
        let v = run.variant, plan = run.plan, env = run.env
        guard let spec = v.snapshot, snapshots[v.name] == nil else { return true }
        if FileFacts.exists(spec.metadataPath) {
            snapshots[v.name] = SnapshotReport(variant: v.name, image: spec.image, imageBytes: Self.imageBytes(spec), made: false)
            run.say("[snapshot] \(v.name): restoring the image at \(spec.image) (made before this bench)")
            return true
        }
        guard case .command(let argv, let venv, let cwd) = v.launch else { return true }
        guard FileFacts.exists(FileFacts.join(spec.pythonPath, "vllm_snapshot/__main__.py")) else {
            return fail(run, "\(v.name): \(spec.pythonPath) has no vllm_snapshot package (expected integrations/vllm-snapshot of this repository)", cause: Self.createCause)
        }
        var environment = env.processEnvironment
        for (k, x) in venv { environment[k] = x }
        for (k, x) in run.bench.serverEnv { environment[k] = x }
        let log = run.logPath(run: 0).map { $0.replacingOccurrences(of: "_run0.log", with: "_snapshot-fresh.log") }
            ?? FileFacts.join(NSTemporaryDirectory(), "sllm-\(getpid())-\(v.name)-snapshot-fresh.log")
        run.say("[snapshot] \(v.name): no image at \(spec.image): starting the fresh server to make it (not part of any run's time)")
        // The fresh tree's processes must be reaped here once CRIU ended them: a zombie left to
        // an init that does not reap keeps its pid, and the restore needs every pid of its image.
        SessionChild.setSubreaper(true)
        defer { SessionChild.setSubreaper(false) }
        // It writes its log itself (CRIU needs a file there, not bench's pipe): once it ended,
        // the log is masked as bench's own logs are.
        defer { Self.redactFreshLog(log, env.redact) }
        let fresh: SessionChild
        do { fresh = try SessionChild(argv, environment: environment, workingDirectory: cwd, output: log) }
        catch { return fail(run, "\(v.name): cannot start the fresh server (\(argv.joined(separator: " "))): \(error)", cause: Self.createCause) }
        env.watchdog?.track(group: fresh.pid)
        defer { env.watchdog?.forget(group: fresh.pid) }
        let endpoint = HTTPEndpoint(host: plan.host, port: v.port)
        let ended: () -> String? = { fresh.poll().map { $0 > 128 ? "killed by signal \($0 - 128)" : "exited with status \($0)" } }
        switch ReadinessPoller.wait(endpoint: endpoint, serverEnded: ended, timeout: plan.readyTimeout, interrupted: { run.interrupted }) {
        case .ready: break
        case .ended(let why, _):
            return fail(run, "\(v.name): the fresh server \(why) before ready, so no image was made; its log: \(log)\(Self.tail(log))", cause: Self.createCause)
        case .timedOut:
            fresh.kill()
            return fail(run, "\(v.name): the fresh server was not ready after \(Int(plan.readyTimeout)) s, so no image was made; its log: \(log)", cause: Self.createCause)
        case .interrupted:
            fresh.kill(); run.record.outcome = .interrupted; return false
        }
        let freshStartS = Date().timeIntervalSince(fresh.startedAt)
        run.say(String(format: "[snapshot] %@: fresh server ready after %.1f s; making the image", v.name, freshStartS))
        let created = Date()
        let create = SystemCommandRunner(environment: spec.environment(environment))
            .run(spec.createArgv(pid: fresh.pid, url: "http://\(plan.host):\(v.port)"), timeout: plan.readyTimeout + 600)
        let createS = Date().timeIntervalSince(created)
        // CRIU ended the tree when it dumped it; after a failure it may still run.
        if fresh.poll() == nil { fresh.kill() } else { fresh.wait(timeout: 10) }
        if let pids = Self.imagePids(spec) { SessionChild.reap(pids, timeout: 10) }
        guard case .success(let out) = create, out.status == 0,
              let line = out.stdout.split(separator: "\n").last(where: { $0.contains("\"created\"") }),
              let o = (try? JSONLite.parse(Array(line.utf8)))?.object else {
            let said: String
            switch create {
            case .success(let out): said = "exit \(out.status): " + out.stderr.trimmingCharacters(in: .whitespacesAndNewlines).suffix(600)
            case .failure(let e): said = "\(e)"
            }
            return fail(run, "\(v.name): vllm_snapshot create failed (\(said)); the fresh server's log: \(log)", cause: Self.createCause)
        }
        let report = SnapshotReport(variant: v.name, image: spec.image, imageBytes: o["image_bytes"]?.int, made: true,
                                    freshStartS: freshStartS, createS: createS, checkpointS: o["checkpoint_s"]?.double,
                                    dumpS: o["dump_s"]?.double, log: log)
        snapshots[v.name] = report
        run.say("[snapshot] \(report.note)")
        return true
    }

    /// After a snapshot run's readiness wait: the restorer checks its greedy answer itself, and
    /// may still be at it when bench's completion is done; until it said "restored" (or ended),
    /// the run is not ok. Bounded by the ready timeout.
    func afterReady(_ run: RunContext, _ server: ServerHandle) {
        let plan = run.plan
        guard run.variant.snapshot != nil, run.record.outcome == .ok else { return }
        let deadline = server.startedAt.addingTimeInterval(plan.readyTimeout)
        while SnapshotRestore.parse(server.logLines) == nil {
            if let why = server.ended() {
                run.record.outcome = .crashLoop
                run.record.exitStatus = why
                return
            }
            if Date() > deadline || run.interrupted {
                run.record.outcome = run.interrupted ? .interrupted : .timeout
                run.record.diagnosis = "the restorer did not confirm the restored server's greedy answer within \(Int(plan.readyTimeout)) s"
                return
            }
            usleep(20_000)
        }
    }

    /// After a snapshot run: the restorer's figures and the image into the record; a restorer
    /// that ended names why (its answer differed, CRIU failed). The restored server answers
    /// GET /v1/models while the restorer still compares its greedy answer, so bench's own
    /// completion may be the one cut off when that answer differs: a cut-off run whose restorer
    /// said so is that failure too.
    func conclude(_ run: RunContext, _ lines: [TimedLine]) {
        let v = run.variant
        guard let spec = v.snapshot else { return }
        var s = SnapshotRestore(image: spec.image, imageBytes: snapshots[v.name]?.imageBytes ?? Self.imageBytes(spec))
        if let o = SnapshotRestore.parse(lines) {
            s.criuRestoreS = o["criu_restore_s"]?.double; s.cudaRestoreS = o["cuda_restore_s"]?.double
            s.checkS = o["check_s"]?.double; s.totalS = o["total_s"]?.double
        }
        run.record.snapshot = s
        guard run.record.outcome == .crashLoop || run.record.outcome == .cutOff else { return }
        // The restorer's error line, with CRIU's own error lines from the log tail it quotes.
        let errorAt = lines.lastIndex { $0.text.hasPrefix("vllm-snapshot: error:") }
        let said = errorAt.map { at in
            ([lines[at].text] + lines[(at + 1)...].map(\.text).filter { $0.contains("Error (") }.map { $0.trimmingCharacters(in: .whitespaces) })
                .joined(separator: " | ")
        }
        if let said, said.contains("greedy completion differs") {
            run.record.outcome = .failed
            run.record.cause = Self.differsCause
            run.record.diagnosis = "\(run.record.exitStatus ?? "ended"): the restored server's answer differs from the fresh server's for the same greedy request, so this restore is not ok: \(said)"
        } else if let said, run.record.outcome == .crashLoop {
            run.record.outcome = .failed
            run.record.cause = Self.restoreCause
            run.record.diagnosis = "\(run.record.exitStatus ?? "ended") before ready: the restore failed: \(said)"
        }
    }

    static func redactFreshLog(_ path: String, _ redact: Redactor) {
        guard !redact.secrets.isEmpty, let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
              let handle = FileHandle(forReadingAtPath: path) else { return }
        let data = (try? handle.read(upToCount: LogSink.maxBytes)) ?? nil
        try? handle.close()
        let text = String(decoding: data ?? Data(), as: UTF8.self)
        var masked = redact(text)
        if size > LogSink.maxBytes { masked += "\n[sllm-doctor] log stopped at \(LogSink.maxBytes) bytes (\(size - LogSink.maxBytes) bytes cut)\n" }
        guard masked != text else { return }
        try? Data(masked.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// A snapshot variant without its image cannot run: bench stops here.
    func fail(_ run: RunContext, _ why: String, cause: String) -> Bool { run.fail(why, cause: cause, stopBench: true) }

    static func imageJSON(_ spec: SnapshotSpec) -> [String: JSONValue]? {
        guard let text = FileFacts.readSmall(spec.metadataPath, limit: SnapshotImageMetadata.sizeLimit) else { return nil }
        return (try? JSONLite.parse(Array(text.utf8)))?.object
    }

    static func imageBytes(_ spec: SnapshotSpec) -> Int? { imageJSON(spec)?["image_bytes"]?.int }

    static func imagePids(_ spec: SnapshotSpec) -> [pid_t]? {
        guard let list = imageJSON(spec)?["pids"]?.array else { return nil }
        let pids = list.compactMap(\.int)
        return pids.count == list.count ? pids.map { pid_t($0) } : nil
    }

    static func tail(_ path: String) -> String {
        guard let text = FileFacts.readSmall(path, limit: 1 << 20) else { return "" }
        let last = text.split(separator: "\n").suffix(3).map { TerminalSafe.visible(String($0.prefix(300))) }
        return last.isEmpty ? "" : " (last lines: " + last.joined(separator: " | ") + ")"
    }
}
