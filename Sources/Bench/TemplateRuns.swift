import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// Template variants' hook: the template is started once per Python (not per run), survives
/// the restarts, is restarted for cold runs, restarted once after a crash (that run not
/// counted), refused when stale, and stopped with everything else.
final class TemplateRuns: RunHook {
    /// Warm interpreter templates, one per Python.
    private var hosts: [String: TemplateHost] = [:]

    var reports: [TemplateReport] {
        hosts.values.sorted { $0.python < $1.python }.map {
            TemplateReport(python: $0.python, socket: $0.socket, starts: $0.starts, crashes: $0.crashes)
        }
    }

    /// The template for this variant, started if need be; false (and the record says why) when the run cannot go on.
    func prepare(_ run: RunContext) -> Bool {
        let v = run.variant
        guard case .command(let argv, _, _) = v.launch, let python = argv.first else {
            return fail(run, "template runs need a command list (python -m vllm.entrypoints.cli.main serve ...)")
        }
        guard (python.split(separator: "/").last.map(String.init) ?? python).hasPrefix("python") else {
            return fail(run, "\(v.name): the template forks Python: give the command as [python, -m, vllm.entrypoints.cli.main, serve, ...], not \(python)")
        }
        guard let spec = run.plan.templateSpec else {
            return fail(run, "\(v.name) runs from a template, but the plan has no template: section (pythonpath: the folder holding vllm_template)")
        }
        guard FileFacts.exists(FileFacts.join(spec.pythonPath, "vllm_template/__main__.py")) else {
            return fail(run, "template: pythonpath \(spec.pythonPath) has no vllm_template package (expected integrations/vllm-template of this repository)")
        }
        if let host = hosts[python] {
            if let why = host.ended() { return crashed(host, why: why, run) }
            if run.plan.mode == .coldstart || run.plan.dropCaches {
                // Cold: nothing of the last start may help this one, the template's imports included.
                stop(host, run.env)
                guard let ms = start(host, run) else { return false }
                run.record.templateRestartMs = ms
                run.log(String(format: "template restarted (cold run), ready after %.0f ms", ms))
                return true
            }
            if let st = host.status(), !st.stale.isEmpty {
                return fail(run, "the template is stale: \(st.stale[0]) changed on disk since it started, so its imports are the old code: bench refuses to fork from it. Fix: re-run bench (it starts a fresh template); outside bench, restart the template (systemctl restart vllm-template, or python -m vllm_template stop, then serve)", cause: TemplateHost.staleCause)
            }
            return true
        }
        let dir = FileFacts.join(NSTemporaryDirectory(), "sllm-template-\(getpid())-\(hosts.count)")
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let host = TemplateHost(python: python, spec: spec, environment: run.helperEnvironment, socket: FileFacts.join(dir, "template.sock"))
        hosts[python] = host
        guard let ms = start(host, run) else { return false }
        let held = host.starts.last?.status.map { ": \($0.summary)" } ?? ""
        run.say(String(format: "[template] started once for %@, ready after %.1f s%@ (not part of any run's time)", python, ms / 1000, held))
        return true
    }

    /// The server forks from this variant's template.
    func willStart(_ run: RunContext) throws {
        if run.variant.template, let python = Self.python(of: run.variant) { run.request.template = hosts[python] }
    }

    /// After a template run that ended before ready: if the template is why, say so (and restart it).
    func conclude(_ run: RunContext, _ lines: [TimedLine]) {
        guard run.variant.template, run.record.outcome == .crashLoop, let python = Self.python(of: run.variant),
              let host = hosts[python], let why = host.ended() else { return }
        // Not counted: the template's crash is the cause, and it is restarted once.
        _ = crashed(host, why: why, run)
    }

    /// Starts it (tracked by the watchdog); the milliseconds it took, or nil with the run failed.
    func start(_ host: TemplateHost, _ run: RunContext) -> Double? {
        do {
            let ms = try host.start(timeout: run.plan.readyTimeout, interrupted: { run.interrupted })
            if let pid = host.pid { run.env.watchdog?.track(group: pid) }
            return ms
        } catch {
            if run.interrupted { run.record.outcome = .interrupted; return nil }
            fail(run, "the template could not start: \(error)")
            return nil
        }
    }

    /// The template died: name it and the cause, restart it once, and do not count this run.
    func crashed(_ host: TemplateHost, why: String, _ run: RunContext) -> Bool {
        let said = host.lastLines.joined(separator: " | ")
        let what = "the template (pid \(host.pid.map(String.init) ?? "?"), \(host.python)) \(why)" + (said.isEmpty ? "" : " (its last lines: \(said))")
        host.noteCrash(what)
        if let pid = host.pid { run.env.watchdog?.forget(group: pid) }
        stop(host, run.env)
        if host.crashes.count > 1 {
            return fail(run, what + "; it crashed before in this bench, so bench stops here", cause: TemplateHost.crashedCause)
        }
        run.say("[\(run.variant.name)] run \(run.index): \(what): restarting it once; this run is not counted")
        let restart = RunContext(run.variant, run.index, bench: run.bench)
        guard let ms = start(host, restart) else {
            return fail(run, what + "; restarting it failed: \(restart.record.diagnosis ?? "")", cause: TemplateHost.crashedCause)
        }
        run.record.templateRestartMs = ms
        return fail(run, what + String(format: "; restarted it (ready after %.1f s); this run is not counted", ms / 1000),
                    cause: TemplateHost.crashedCause, stopBench: false)
    }

    /// Fails the run; a template that cannot serve stops bench (no later run of it could start).
    @discardableResult
    func fail(_ run: RunContext, _ why: String, cause: String = "template", stopBench: Bool = true) -> Bool {
        run.fail(why, cause: cause, stopBench: stopBench)
    }

    func stop(_ host: TemplateHost, _ env: BenchEnvironment) {
        let pid = host.pid
        host.stop()
        if let pid { env.watchdog?.forget(group: pid) }
    }

    static func python(of v: Variant) -> String? {
        if case .command(let argv, _, _) = v.launch { return argv.first }
        return nil
    }

    /// At the end, on a signal (runAll returns), or when bench stops early.
    func stopAll(_ env: BenchEnvironment) {
        for host in hosts.values {
            stop(host, env)
            // For good: the private folder bench made for its socket (prepare) goes too;
            // a restart (cold run, crash) reuses it.
            try? FileManager.default.removeItem(atPath: FileFacts.parent(of: host.socket))
        }
    }
}
