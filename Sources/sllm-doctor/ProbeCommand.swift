import ArgumentParser
import Bench
import Repair
import ServerClient
import Startup
import ModelSynth
import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "The Tier-1 TTFT probe: cold_1, warm_1 and warm runs, with the evidence and verdict of the diagnosis table.")

    @Option(help: "Server base URL, e.g. http://127.0.0.1:8000.") var url: String
    @Option(help: "Model name for requests (default: the first from /v1/models).") var model: String?
    @Option(help: "Command that starts the server (run under sh -c; stopped at the end). Without it, the server must have just started.") var restart: String?
    @Option(name: .customLong("warm-runs"), parsing: .unconditional, help: "Back-to-back warm runs.") var warmRuns: Int = 5
    @Option(name: .customLong("max-tokens"), parsing: .unconditional, help: "Tokens each probe completion asks for (1-65536).") var maxTokens: Int = 64
    @Option(help: "Where to write the filled template.") var out: String = "first_token_latency.md"
    @Option(help: "Also write the results as JSON (name it probe_*.json in benchmarks/results: `bench report` puts it in the README's TTFT table).") var results: String?
    @Option(help: "A note for the results file and the README row.") var note: String = ""
    @Option(name: .customLong("ready-timeout"), parsing: .unconditional, help: "Seconds the server may take to answer GET /v1/models after each restart.") var readyTimeout: Double = 900

    func run() throws {
        let endpoint: HTTPEndpoint
        do { endpoint = try HTTPEndpoint(url: url) } catch { throw UsageError("--url \(url): expected http://HOST:PORT") }
        guard warmRuns >= 1 else { throw UsageError("--warm-runs \(warmRuns): expected 1 or more") }
        guard (1...65536).contains(maxTokens) else { throw UsageError("--max-tokens \(maxTokens): expected 1-65536") }
        guard readyTimeout.isFinite, (0.1...86400).contains(readyTimeout) else {
            throw UsageError("--ready-timeout \(readyTimeout): expected 0.1-86400 seconds")
        }
        // Before any server starts: a refusal must not come after the runs.
        if let problem = OutputFile.problem(out) { throw UsageError("--out \(problem)") }
        if let results, let problem = OutputFile.problem(results) { throw UsageError("--results \(problem)") }
        var probe = TTFTProbe(endpoint: endpoint)
        probe.model = model
        probe.warmRuns = warmRuns
        probe.maxTokens = maxTokens
        var gpuBefore: Int?
        var server: ProcessServer?
        if let restart {
            if case .ok(let inv) = GPUInventory.query(SystemCommandRunner()), !inv.gpus.isEmpty { gpuBefore = inv.memoryUsedMiB }
            if HTTPClient.isListening(host: endpoint.host, port: endpoint.port) {
                throw UsageError("\(endpoint.host):\(endpoint.port) is already in use: stop that server first, or drop --restart")
            }
            let s = try ProcessServer(argv: ["/bin/sh", "-c", "exec " + restart], environment: ProcessInfo.processInfo.environment, cwd: nil, onLine: nil)
            server = s
            Output.err("started: \(restart)\n")
            switch ReadinessPoller.wait(endpoint: endpoint, serverEnded: { s.ended() }, timeout: readyTimeout) {
            case .ready(let at, _): Output.err(String(format: "ready after %.1f s\n", at.timeIntervalSince(s.startedAt)))
            case .ended(let why, _):
                Output.err(s.logLines.suffix(15).map(\.text).joined(separator: "\n") + "\n")
                throw RunFailure("the server \(why) before ready: crash-loop (last lines above)")
            case .timedOut: _ = s.stop(grace: 10); throw RunFailure("not ready after \(Int(readyTimeout)) s")
            case .interrupted: return
            }
        }
        defer { if let server { _ = server.stop(grace: 30) } }
        let report: TTFTProbe.Report
        report = try probe.run(gpuBeforeStart: gpuBefore, startedServer: server != nil)
        var kernel = "?"
        if case .success(let o) = SystemCommandRunner().run(["uname", "-sr"], timeout: 2) { kernel = o.stdout }
        let md = ProbeMarkdown.render(report, launch: restart ?? "(already running at \(url))", kernel: kernel, vllmVersion: "see the server's first log line")
        do { try OutputFile.write(out, text: md) } catch { throw UsageError("--out \(error)") }
        if let results {
            let doc = ProbeDocument(report: report, url: url, launch: restart ?? "(already running at \(url))", note: note,
                                    host: BenchHost.hostName(), at: Date())
            do { try OutputFile.write(results, text: Output.redact(doc.json().prettyText() + "\n")) } catch { throw UsageError("--results \(error)") }
        }
        Output.out(String(format: "cold_1 %.3f s (TTFT %@), warm median %.3f s, cold penalty %.2f×, spread %.1f %%\nverdict: %@ — %@\nwritten: %@\n",
                          report.cold.wallS, report.cold.ttftS.map { String(format: "%.0f ms", $0 * 1000) } ?? "-",
                          report.warmMedian ?? 0, report.coldPenalty ?? 0, report.spreadPercent ?? 0,
                          report.verdict.name, report.verdict.why, out))
        if let first = report.failedWarm.first {
            throw RunFailure("\(report.failedWarm.count) of \(report.warm.count + 1) warm request(s) failed (written in the notes of \(out)); \(first.label): \(first.error ?? "")")
        }
    }
}
