import Foundation
import SystemProbes
import Basics

/// One milestone of vLLM's start-up, recognised by its log line. The table keeps every
/// wording with the versions it comes from, so older and newer servers parse alike.
public struct MilestonePattern: Sendable {
    public var milestone: String
    /// The phase that ends at this milestone.
    public var phase: String
    public var regex: String
    public var versions: String
    /// Which capture group holds the server's own seconds for this phase (nil: none).
    public var secondsGroup: Int? = nil
}

public let vllmMilestones: [MilestonePattern] = [
    .init(milestone: "engine_init", phase: "api_server_to_engine",
          regex: #"Initializing a V1 LLM engine|Initializing an LLM engine|EngineCore.*(started|initializ)"#, versions: "0.6-0.26"),
    .init(milestone: "weights", phase: "weights_load",
          regex: #"Loading weights took ([0-9.]+) s|\[RunAI Streamer\] Overall time to stream .* to cpu: ([0-9.]+)s"#,
          versions: "0.5-0.26; runai-model-streamer 0.17 (seen on vLLM 0.26, H100)", secondsGroup: 1),
    .init(milestone: "model_loading", phase: "model_load_rest",
          regex: #"Model loading took ([0-9.]+) GiB(?: memory)? and ([0-9.]+) second"#, versions: "0.6-0.26 (\"GiB memory and\" in 0.10+)", secondsGroup: 2),
    .init(milestone: "compile", phase: "torch_compile",
          regex: #"torch\.compile (?:took|takes) ([0-9.]+) s in total"#, versions: "0.7-0.26 (\"takes\" before 0.11)", secondsGroup: 1),
    .init(milestone: "kv_profile", phase: "kv_cache_profile",
          regex: #"Available KV cache memory: ([0-9.]+) GiB|# GPU blocks:|reserved ([0-9.]+) GiB memory for KV Cache"#, versions: "0.4-0.26"),
    .init(milestone: "graphs", phase: "cuda_graph_capture",
          regex: #"Graph capturing finished in ([0-9.]+) sec"#, versions: "0.3-0.26", secondsGroup: 1),
    .init(milestone: "warmup", phase: "warmup",
          regex: #"init engine \(profile, create kv cache, warmup model\) took ([0-9.]+)"#, versions: "0.7-0.26", secondsGroup: 1),
    .init(milestone: "api_up", phase: "api_server_up",
          regex: #"Application startup complete"#, versions: "uvicorn, all"),
]

/// Lines that tell a compile-cache hit (weights and graphs reused from VLLM_CACHE_ROOT).
let compileCacheHit = #"Directly load the compiled graph"#
let compileCacheMiss = #"Compiling a graph for|Dynamo bytecode transform time"#

public struct AnatomyPhase: Sendable, Equatable {
    public var name: String
    public var seconds: Double
}

public struct StartupAnatomy: Sendable {
    public var phases: [AnatomyPhase]
    /// Durations the server reported itself (weights, model loading, compile, init engine).
    public var reported: [String: Double]
    public var readySeconds: Double?
    public var compileCache: String?   // "hit" | "miss" | nil
    public var findings: [String]
    /// The model's GPU memory after loading (vLLM's "Model loading took X GiB"): the bytes the
    /// weights phase moved, for its rate.
    public var modelGiB: Double?

    /// The weights phase as a rate: GB/s (decimal), from the model's GiB and its seconds.
    public var weightsGBPerS: Double? {
        guard let gib = modelGiB, let s = reported["weights"] ?? phaseDurations["weights_load"], s > 0 else { return nil }
        return gib * 1_073_741_824 / s / 1e9
    }

    public var phaseDurations: [String: Double] {
        Dictionary(phases.map { ($0.name, $0.seconds) }, uniquingKeysWith: +)
    }

    /// Splits start → ready into phases by the arrival time of each milestone line. A missing
    /// milestone folds its time into the next one; time after the last known milestone is
    /// "unaccounted" unless the API came up.
    public static func analyze(lines: [TimedLine], startedAt: Date?, readyAt: Date?) -> StartupAnatomy {
        let compiled = vllmMilestones.map { ($0, try! Regex($0.regex)) }
        var found: [(MilestonePattern, Date)] = []
        var reported: [String: Double] = [:]
        var cache: String?
        let hit = try! Regex(compileCacheHit), miss = try! Regex(compileCacheMiss)
        for line in lines {
            if line.text.contains(hit) { cache = "hit" } else if cache == nil, line.text.contains(miss) { cache = "miss" }
            for (p, re) in compiled where !found.contains(where: { $0.0.milestone == p.milestone }) {
                guard let m = try? re.firstMatch(in: line.text) else { continue }
                found.append((p, line.arrival))
                // The seconds are in the pattern's group, or in a later alternative's group.
                if let g = p.secondsGroup, g < m.output.count,
                   let v = (g..<m.output.count).lazy.compactMap({ m.output[$0].substring.flatMap { Double($0) } }).first {
                    reported[p.milestone] = v
                }
            }
        }
        // Keep milestones in time order; a line that comes out of order simply folds in.
        found.sort { $0.1 < $1.1 }
        var phases: [AnatomyPhase] = []
        let origin = startedAt ?? lines.first?.arrival
        var cursor = origin
        if let start = startedAt, let first = lines.first?.arrival {
            phases.append(AnatomyPhase(name: "interpreter_and_imports", seconds: max(0, first.timeIntervalSince(start))))
            cursor = first
        }
        for (p, at) in found {
            guard let c = cursor, at >= c else { continue }
            phases.append(AnatomyPhase(name: p.phase, seconds: at.timeIntervalSince(c)))
            cursor = at
        }
        if let ready = readyAt, let c = cursor, ready >= c {
            let apiUp = found.contains { $0.0.milestone == "api_up" }
            phases.append(AnatomyPhase(name: apiUp ? "first_200_on_models" : "unaccounted", seconds: ready.timeIntervalSince(c)))
        }
        let readySeconds = readyAt.flatMap { r in origin.map { r.timeIntervalSince($0) } }
        var a = StartupAnatomy(phases: phases, reported: reported, readySeconds: readySeconds, compileCache: cache, findings: [])
        let size = try! Regex(#"Model loading took ([0-9.]+) GiB"#)
        a.modelGiB = lines.lazy.compactMap { l in (try? size.firstMatch(in: l.text)).flatMap { $0.output[1].substring.flatMap { Double($0) } } }.first
        a.findings = a.explain()
        return a
    }

    /// Plain-words findings.
    func explain() -> [String] {
        var out: [String] = []
        guard let ready = readySeconds, ready > 0 else { return out }
        if compileCache == "miss" || (compileCache == nil && reported["compile"].map { $0 > 15 } == true) {
            out.append("compile cache missed: persist VLLM_CACHE_ROOT on the fast disk (torch.compile took \(String(format: "%.1f", reported["compile"] ?? 0)) s)")
        }
        let weights = reported["weights"] ?? phaseDurations["weights_load"]
        if let w = weights, w > 0 {
            let share = w / ready
            let ceiling = 1 / max(1e-9, 1 - share)
            out.append(String(format: "weights are %.0f %% of ready: a faster loader cannot give more than %.2f×", share * 100, ceiling))
        }
        if let rate = weightsGBPerS, let gib = modelGiB, let w = weights {
            out.append(String(format: "weights: %.2f GiB in %.2f s = %.1f GB/s (a pinned host→GPU copy is the floor: sllm-doctor startup --pinned-copy PYTHON measures it on this GPU)", gib, w, rate))
        }
        let imports = phaseDurations["interpreter_and_imports"] ?? 0
        let engine = phaseDurations["api_server_to_engine"] ?? 0
        if (imports + engine) / ready > 0.3 {
            out.append(String(format: "Python start-up of the API server and engine processes is %.0f %% of ready (%.1f s): bytecode caches and a warm page cache keep it down (sllm-doctor startup); a warm interpreter template (integrations/vllm-template, bench's template knob) forks the server from a process that has imported them, and sleep mode keeps the process", (imports + engine) / ready * 100, imports + engine))
        }
        // A forked engine process logs within a second or two of the API server's config; a
        // spawned one starts Python again and imports vLLM again first (11 s on the H100).
        if engine > 5 {
            out.append(String(format: "the engine process started %.1f s after the API server: vLLM's CLI spawns it, a second Python start that imports vLLM again; VLLM_WORKER_MULTIPROC_METHOD=fork forks it from the API server instead (bench --explore's fork knob measures it)", engine))
        }
        return out
    }
}

/// Reads a log file: our captured logs (`ISO8601 O|E text`), `docker logs --timestamps`
/// output (`RFC3339 text`), or plain vLLM lines (`INFO 11-23 07:41:58 ...`, 1 s resolution).
public enum LogFileReader {
    /// A start-up log of vLLM is a few MB; 256 MiB is past any we would read in one go.
    public static let sizeLimit = 256 << 20

    public static func read(_ path: String, year: Int? = nil) throws(InputReadError) -> [TimedLine] {
        let text = try BoundedRead.text(path, limit: sizeLimit, deadline: 30)
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let isoPlain = ISO8601DateFormatter()
        let vllmStamp = try! Regex(#"(?:INFO|WARNING|DEBUG|ERROR) (\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)"#)
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let y = year ?? cal.component(.year, from: Date())
        var lines: [TimedLine] = []
        var last: Date?
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            var s = String(raw)
            var when: Date?
            var stream = TimedLine.Stream.stdout
            if let space = s.firstIndex(of: " ") {
                let head = String(s[..<space])
                // docker's timestamps carry nanoseconds; trim to milliseconds for the parser.
                let trimmed = head.replacing(#/(\.\d{3})\d+/#) { $0.1 }
                if let d = iso.date(from: trimmed) ?? isoPlain.date(from: trimmed) {
                    when = d
                    s = String(s[s.index(after: space)...])
                    if s.hasPrefix("O ") || s.hasPrefix("E ") {
                        stream = s.hasPrefix("E ") ? .stderr : .stdout
                        s = String(s.dropFirst(2))
                    }
                }
            }
            if when == nil, let m = try? vllmStamp.firstMatch(in: s) {
                let n = (1...5).map { Int(m.output[$0].substring ?? "0") ?? 0 }
                when = cal.date(from: DateComponents(year: y, month: n[0], day: n[1], hour: n[2], minute: n[3], second: n[4]))
            }
            // Lines without a time (tracebacks) take the previous line's.
            guard let at = when ?? last else { continue }
            last = at
            lines.append(TimedLine(stream: stream, arrival: at, text: s))
        }
        return lines
    }
}
