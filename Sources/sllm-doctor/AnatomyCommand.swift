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

struct AnatomyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anatomy",
        abstract: "Split a server's time-to-ready into phases from its log (bench's captured logs, docker logs --timestamps, or plain vLLM logs).")

    @Argument(help: "The log file.") var log: String
    @Option(name: .customLong("started-at"), help: "When the process started (ISO 8601); default: the first line.") var startedAt: String?
    @Option(name: .customLong("ready-at"), help: "When GET /v1/models first answered 200 (ISO 8601).") var readyAt: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        guard FileManager.default.fileExists(atPath: log) else { throw UsageError("\(log): no such file") }
        let lines: [TimedLine]
        do { lines = try LogFileReader.read(log) } catch { throw UsageError("\(log): cannot read (\(error.reason))") }
        guard !lines.isEmpty else { throw UsageError("\(log): no timestamped lines (expected bench logs, docker logs --timestamps, or vLLM's INFO MM-DD HH:MM:SS lines)") }
        func date(_ flag: String, _ s: String?) throws -> Date? {
            guard let s else { return nil }
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let d = f.date(from: s) ?? ISO8601DateFormatter().date(from: s) { return d }
            throw UsageError("\(flag) \(s): expected an ISO 8601 time like 2026-11-23T07:41:58.120Z")
        }
        let start = try date("--started-at", startedAt)
        // Without --ready-at, the API line is the best we know.
        var ready = try date("--ready-at", readyAt)
        if ready == nil { ready = lines.last(where: { $0.text.contains("Application startup complete") })?.arrival }
        let a = StartupAnatomy.analyze(lines: lines, startedAt: start, readyAt: ready)
        if json {
            let obj: [String: Any] = ["log": log, "phases_s": Dictionary(uniqueKeysWithValues: a.phases.map { ($0.name, $0.seconds) }),
                                      "reported_s": a.reported, "ready_s": a.readySeconds ?? NSNull(),
                                      "compile_cache": a.compileCache ?? NSNull(), "findings": a.findings]
            Output.json(JSONRenderer(redact: Redactor(secrets: [])).encode(obj))
            return
        }
        var out = AnatomyTable.render(phases: a.phaseDurations, ready: a.readySeconds)
        if !a.reported.isEmpty {
            out += "\nThe server's own figures: " + a.reported.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2f", $0.value)) s" }.joined(separator: ", ") + "\n"
        }
        if let c = a.compileCache { out += "torch.compile cache: \(c)\n" }
        for f in a.findings { out += "- \(f)\n" }
        if a.phases.count <= 1 { out += "(few vLLM milestones found: not a vLLM log, or an unknown version)\n" }
        Output.out(out)
    }
}
