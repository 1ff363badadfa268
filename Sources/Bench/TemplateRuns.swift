import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// What bench reports about a template it ran: each start (timed apart from the runs, like the
/// store's restarts) and each crash.
public struct TemplateReport: Sendable {
    public var python: String
    public var socket: String
    public var starts: [(ms: Double, status: TemplateStatus?)]
    public var crashes: [String]

    public func jsonObject() -> [String: Any] {
        ["python": python, "socket": socket, "crashes": crashes,
         "starts": starts.map { s -> [String: Any] in
             var o: [String: Any] = ["ready_ms": (s.ms * 10).rounded() / 10]
             if let st = s.status {
                 o["pid"] = st.pid; o["modules"] = st.modules; o["load_s"] = st.loadS
                 if let r = st.rssBytes { o["rss_bytes"] = r }
             }
             return o
         }]
    }

    /// For the Notes column.
    public var note: String {
        guard let first = starts.first else { return "template not started" }
        var s = String(format: "template ready in %.1f s", first.ms / 1000)
        if let st = first.status { s += " (\(st.summary))" }
        if starts.count > 1 { s += ", started \(starts.count) times" }
        if !crashes.isEmpty { s += ", crashed \(crashes.count)x" }
        return s
    }
}

/// Template variants: the template is started once per Python (not per run), survives the
/// restarts, is restarted for cold runs, restarted once after a crash (that run not counted),
/// refused when stale, and stopped with everything else.
extension BenchRunner {
    public var templateReports: [TemplateReport] {
        templates.values.sorted { $0.python < $1.python }.map {
            TemplateReport(python: $0.python, socket: $0.socket, starts: $0.starts, crashes: $0.crashes)
        }
    }

    /// The template for this variant, started if need be; false (and `r` says why) when the run cannot go on.
    func prepareTemplate(_ v: Variant, _ i: Int, _ r: inout RunRecord, since t0: Date) -> Bool {
        guard case .command(let argv, let venv, _) = v.launch, let python = argv.first else {
            return failTemplate(&r, "template runs need a command list (python -m vllm.entrypoints.cli.main serve ...)", stop: true)
        }
        guard (python.split(separator: "/").last.map(String.init) ?? python).hasPrefix("python") else {
            return failTemplate(&r, "\(v.name): the template forks Python: give the command as [python, -m, vllm.entrypoints.cli.main, serve, ...], not \(python)", stop: true)
        }
        guard let spec = plan.templateSpec else {
            return failTemplate(&r, "\(v.name) runs from a template, but the plan has no template: section (pythonpath: the folder holding vllm_template)", stop: true)
        }
        guard FileFacts.exists(FileFacts.join(spec.pythonPath, "vllm_template/__main__.py")) else {
            return failTemplate(&r, "template: pythonpath \(spec.pythonPath) has no vllm_template package (expected integrations/vllm-template of this repository)", stop: true)
        }
        if let host = templates[python] {
            if let why = host.ended() { return templateCrashed(host, why: why, v, i, &r, since: t0) }
            if plan.mode == .coldstart || plan.dropCaches {
                // Cold: nothing of the last start may help this one, the template's imports included.
                stopTemplate(host)
                guard let ms = startTemplate(host, &r) else { return false }
                r.templateRestartMs = ms
                log(v, i, String(format: "template restarted (cold run), ready after %.0f ms", ms), since: t0)
                return true
            }
            if let st = host.status(), !st.stale.isEmpty {
                return failTemplate(&r, "the template is stale: \(st.stale[0]) changed on disk since it started, so its imports are the old code: bench refuses to fork from it. Fix: re-run bench (it starts a fresh template); outside bench, restart the template (systemctl restart vllm-template, or python -m vllm_template stop, then serve)", cause: TemplateHost.staleCause, stop: true)
            }
            return true
        }
        var environment = env.processEnvironment
        for (k, x) in venv { environment[k] = x }
        for (k, x) in serverEnv { environment[k] = x }
        let dir = FileFacts.join(NSTemporaryDirectory(), "sllm-template-\(getpid())-\(templates.count)")
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let host = TemplateHost(python: python, spec: spec, environment: environment, socket: FileFacts.join(dir, "template.sock"))
        templates[python] = host
        guard let ms = startTemplate(host, &r) else { return false }
        let held = host.starts.last?.status.map { ": \($0.summary)" } ?? ""
        progress(String(format: "[template] started once for %@, ready after %.1f s%@ (not part of any run's time)", python, ms / 1000, held))
        return true
    }

    /// Starts it (tracked by the watchdog); the milliseconds it took, or nil with `r` failed.
    func startTemplate(_ host: TemplateHost, _ r: inout RunRecord) -> Double? {
        do {
            let ms = try host.start(timeout: plan.readyTimeout, interrupted: { interrupt.isSet })
            if let pid = host.pid { env.watchdog?.track(group: pid) }
            return ms
        } catch {
            if interrupt.isSet { r.outcome = .interrupted; return nil }
            _ = failTemplate(&r, "the template could not start: \(error)", stop: true)
            return nil
        }
    }

    /// The template died: name it and the cause, restart it once, and do not count this run.
    func templateCrashed(_ host: TemplateHost, why: String, _ v: Variant, _ i: Int, _ r: inout RunRecord, since t0: Date) -> Bool {
        let said = host.lastLines.joined(separator: " | ")
        let what = "the template (pid \(host.pid.map(String.init) ?? "?"), \(host.python)) \(why)" + (said.isEmpty ? "" : " (its last lines: \(said))")
        host.noteCrash(what)
        if let pid = host.pid { env.watchdog?.forget(group: pid) }
        stopTemplate(host)
        if host.crashes.count > 1 {
            return failTemplate(&r, what + "; it crashed before in this bench, so bench stops here", cause: TemplateHost.crashedCause, stop: true)
        }
        progress("[\(v.name)] run \(i): \(what): restarting it once; this run is not counted")
        var restart = RunRecord(variant: v.name, run: i)
        guard let ms = startTemplate(host, &restart) else {
            return failTemplate(&r, what + "; restarting it failed: \(restart.diagnosis ?? "")", cause: TemplateHost.crashedCause, stop: true)
        }
        r.templateRestartMs = ms
        return failTemplate(&r, what + String(format: "; restarted it (ready after %.1f s); this run is not counted", ms / 1000),
                            cause: TemplateHost.crashedCause, stop: false)
    }

    /// After a template run that ended before ready: if the template is why, say so (and restart it).
    func checkTemplateAfter(_ v: Variant, _ i: Int, _ r: inout RunRecord) {
        guard v.template, r.outcome == .crashLoop, case .command(let argv, _, _) = v.launch,
              let python = argv.first, let host = templates[python], let why = host.ended() else { return }
        var after = r
        _ = templateCrashed(host, why: why, v, i, &after, since: Date())
        r.outcome = .failed
        r.cause = after.cause
        r.diagnosis = after.diagnosis
        r.templateRestartMs = after.templateRestartMs
    }

    func failTemplate(_ r: inout RunRecord, _ why: String, cause: String = "template", stop: Bool) -> Bool {
        r.outcome = .failed
        r.cause = cause
        r.diagnosis = why
        if stop { stoppedEarly = why }
        return false
    }

    func stopTemplate(_ host: TemplateHost) {
        let pid = host.pid
        host.stop()
        if let pid { env.watchdog?.forget(group: pid) }
    }

    static func python(of v: Variant) -> String? {
        if case .command(let argv, _, _) = v.launch { return argv.first }
        return nil
    }

    /// At the end, on a signal (runAll returns), or when bench stops early.
    public func stopTemplates() {
        for host in templates.values {
            stopTemplate(host)
            // For good: the private folder bench made for its socket (prepareTemplate) goes too;
            // a restart (cold run, crash) reuses it.
            try? FileManager.default.removeItem(atPath: FileFacts.parent(of: host.socket))
        }
    }

    /// After a stop: what nvidia-smi says is left on the GPU (none of the server's between runs),
    /// naming what was there before the start apart.
    func recordGPUAfterStop(_ r: inout RunRecord, before: Set<Int>) {
        guard case .ok(let inv) = GPUInventory.query(env.commands), !inv.gpus.isEmpty else { return }
        let left = inv.processes.filter { !before.contains($0.pid) }
        let stayed = inv.processes.filter { before.contains($0.pid) }
        var s = "\(inv.memoryUsedMiB) MiB used; \(left.count) compute process(es) of this server left"
        if !left.isEmpty { s += " (" + left.map { "\($0.name) pid \($0.pid) \($0.usedMiB) MiB" }.joined(separator: ", ") + ")" }
        if !stayed.isEmpty { s += "; there before the start: " + stayed.map { "\($0.name) pid \($0.pid) \($0.usedMiB) MiB" }.joined(separator: ", ") }
        r.gpuAfterStop = s
    }

    /// The GPU's compute processes now (empty without nvidia-smi).
    func gpuProcessIDs() -> Set<Int> {
        guard case .ok(let inv) = GPUInventory.query(env.commands) else { return [] }
        return Set(inv.processes.map(\.pid))
    }
}
