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
    @Option(name: .customLong("pinned-gbps"), help: "The pinned host→GPU copy rate on this GPU in GB/s (sllm-doctor startup --pinned-copy measures it): the weights copy as a share of it.") var pinnedGBPerS: Double?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        guard FileManager.default.fileExists(atPath: log) else { throw UsageError("\(log): no such file") }
        let stamped: LogFileReader.Stamped
        do { stamped = try LogFileReader.readStamped(log) } catch { throw UsageError("\(log): cannot read (\(error.reason))") }
        let lines = stamped.lines
        if let p = pinnedGBPerS, !(p > 0 && p.isFinite) { throw UsageError("--pinned-gbps \(p): expected a rate in GB/s above 0, like 55.2") }
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
        let a = StartupAnatomy.analyze(lines: lines, startedAt: start, readyAt: ready, pinnedGBPerS: pinnedGBPerS)
        if json {
            func seconds(_ xs: [String: Double]) -> JSONValue { .object(xs.mapValues { JSONValue.number($0) }) }
            var obj: [String: JSONValue] = [
                "log": .string(log), "phases_s": seconds(a.phaseDurations), "reported_s": seconds(a.reported),
                "ready_s": a.readySeconds.map { JSONValue.number($0) } ?? .null,
                "compile_cache": a.compileCache.map { .string($0) } ?? .null, "findings": .array(a.findings.map { .string($0) }),
                "stamp_resolution_s": JSONValue.number(stamped.wholeSecondsOnly ? 1 : 0.001)]
            if let w = a.weights {
                var copy: [String: JSONValue] = ["seconds": JSONValue.number(w.seconds)]
                if let g = w.gib { copy["gib"] = JSONValue.number(g) }
                if let r = w.gbPerS { copy["gb_per_s"] = JSONValue.number(r) }
                if let s = w.storeToGPUSeconds { copy["store_to_gpu_s"] = JSONValue.number(s) }
                if let r = w.storeToGPUGBPerS { copy["store_to_gpu_gb_per_s"] = JSONValue.number(r) }
                if let p = pinnedGBPerS { copy["share_of_pinned_copy"] = JSONValue.number((w.storeToGPUGBPerS ?? w.gbPerS ?? 0) / p) }
                obj["weights_copy"] = .object(copy)
            }
            Output.json(JSONRenderer(redact: Redactor(secrets: [])).encode(JSONValue.object(obj)))
            return
        }
        var out = AnatomyTable.render(phases: a.phaseDurations, ready: a.readySeconds)
        if !a.reported.isEmpty {
            out += "\nThe server's own figures: " + a.reported.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2f", $0.value)) s" }.joined(separator: ", ") + "\n"
        }
        if let c = a.compileCache { out += "torch.compile cache: \(c)\n" }
        for f in a.findings { out += "- \(f)\n" }
        if a.phases.count <= 1 { out += "(few vLLM milestones found: not a vLLM log, or an unknown version)\n" }
        if stamped.wholeSecondsOnly {
            out += "(the log's times are vLLM's own whole-second stamps: each phase is ±1 s; bench's captured logs and docker logs --timestamps stamp each line to the millisecond)\n"
        }
        Output.out(out)
    }
}
