import Foundation
import SystemProbes
import Basics

/// One milestone of vLLM's start-up, recognised by its log line. The table keeps every
/// wording with the versions it comes from, so older and newer servers parse alike. Lines are
/// read with fixed literals (LogLineScanner), never a regex: linear in the line's length.
public struct MilestonePattern: Sendable {
    public var milestone: String
    /// The phase that ends at this milestone.
    public var phase: String
    /// The phase may not run at all (torch.compile off, eager mode): without its line the time
    /// goes to the next phase. Without a required line the time is "unexplained".
    public var optional: Bool
    public var versions: String
    /// nil: not this milestone; otherwise the server's own seconds for the phase, where it says.
    let recognise: @Sendable (LogLineScanner) -> Double??
}

public let vllmMilestones: [MilestonePattern] = [
    .init(milestone: "engine_init", phase: "api_server_to_engine", optional: false, versions: "0.6-0.26") { s in
        if s.contains("Initializing a V1 LLM engine") || s.contains("Initializing an LLM engine") { return .some(nil) }
        // "EngineCore ... started" / "... initializ...": the literals in that order on one line.
        guard let e = s.after("EngineCore"), s.find("started", from: e) != nil || s.find("initializ", from: e) != nil else { return nil }
        return .some(nil)
    },
    .init(milestone: "load_start", phase: "device_init", optional: false,
          versions: "\"Loading model from scratch\" 0.26 (V2 runner); \"Starting to load model\" 0.7-0.11") { s in
        s.contains("Loading model from scratch") || s.contains("Starting to load model") ? .some(nil) : nil
    },
    // Where the weights copy starts: the weights line's time less the loader's own seconds.
    .init(milestone: "weights_start", phase: "model_skeleton", optional: false, versions: "derived from the weights line") { _ in nil },
    .init(milestone: "weights", phase: "weights_load", optional: false,
          versions: "0.5-0.26; runai-model-streamer 0.17 (seen on vLLM 0.26, H100)") { s in
        if let v = s.number(after: "Loading weights took ", unit: "s") { return .some(v) }
        if let at = s.after("[RunAI Streamer] Overall time to stream "), let c = s.after(" to cpu: ", from: at),
           let (v, _) = s.number(at: c) { return .some(v) }
        return nil
    },
    .init(milestone: "model_loading", phase: "model_load_rest", optional: false,
          versions: "0.6-0.26 (\"GiB memory and\" in 0.10+)") { s in
        guard s.contains("Model loading took ") else { return nil }
        return .some(s.number(after: "GiB memory and ", unit: "second") ?? s.number(after: "GiB and ", unit: "second"))
    },
    .init(milestone: "compile", phase: "torch_compile", optional: true, versions: "0.7-0.26 (\"takes\" before 0.11)") { s in
        guard let v = s.number(after: "torch.compile took ", unit: "s in total") ?? s.number(after: "torch.compile takes ", unit: "s in total")
        else { return nil }
        return .some(v)
    },
    .init(milestone: "kv_profile", phase: "kv_cache_profile", optional: false,
          versions: "0.4-0.26 (\"reserved X GiB memory for KV Cache\" when its size is given)") { s in
        s.contains("Available KV cache memory: ") || s.contains("# GPU blocks:") || s.contains("memory for KV Cache") ? .some(nil) : nil
    },
    .init(milestone: "graphs", phase: "cuda_graph_capture", optional: true, versions: "0.3-0.26") { s in
        guard let v = s.number(after: "Graph capturing finished in ", unit: "sec") else { return nil }
        return .some(v)
    },
    .init(milestone: "warmup", phase: "warmup", optional: false, versions: "0.7-0.26") { s in
        guard let v = s.number(after: "init engine (profile, create kv cache, warmup model) took ") else { return nil }
        return .some(v)
    },
    .init(milestone: "api_start", phase: "api_server_setup", optional: false,
          versions: "\"Starting vLLM server on\" 0.26; \"Starting vLLM API server\" 0.6-0.11") { s in
        s.contains("Starting vLLM server on") || s.contains("Starting vLLM API server") ? .some(nil) : nil
    },
    .init(milestone: "api_up", phase: "api_server_up", optional: false, versions: "uvicorn, all") { s in
        s.contains("Application startup complete") ? .some(nil) : nil
    },
]

public struct AnatomyPhase: Sendable, Equatable {
    public var name: String
    public var seconds: Double
}

/// What the weights line and its neighbours say about the copy itself.
public struct WeightsCopy: Sendable, Equatable {
    /// The bytes moved: the store's own line, else the checkpoint's size, else the model's GPU memory.
    public var gib: Double?
    /// The loader's own seconds ("Loading weights took").
    public var seconds: Double
    /// ServerlessLLM Store's "store to GPU" seconds: the copy without the hand-over to the model.
    public var storeToGPUSeconds: Double?

    public var gbPerS: Double? { gib.map { $0 * 1_073_741_824 / seconds / 1e9 } }
    public var storeToGPUGBPerS: Double? {
        guard let g = gib, let s = storeToGPUSeconds, s > 0 else { return nil }
        return g * 1_073_741_824 / s / 1e9
    }
}

public struct StartupAnatomy: Sendable {
    /// The name of time no known line accounts for.
    public static let unexplained = "unexplained"

    public var phases: [AnatomyPhase]
    /// Durations the server reported itself (weights, model loading, compile, graphs, init engine).
    public var reported: [String: Double]
    public var readySeconds: Double?
    public var compileCache: String?   // "hit" | "miss" | nil
    public var findings: [String]
    /// The model's GPU memory after loading (vLLM's "Model loading took X GiB").
    public var modelGiB: Double?
    public var weights: WeightsCopy?
    /// The pinned host→GPU copy rate measured on this GPU (startup --pinned-copy), when given.
    public var pinnedGBPerS: Double?

    /// The weights phase as a rate: GB/s (decimal), from the bytes and the loader's own seconds.
    public var weightsGBPerS: Double? {
        if let w = weights, w.gib != nil { return w.gbPerS }
        guard let gib = modelGiB, let s = reported["weights"] ?? phaseDurations["weights_load"], s > 0 else { return nil }
        return gib * 1_073_741_824 / s / 1e9
    }

    public var phaseDurations: [String: Double] {
        Dictionary(phases.map { ($0.name, $0.seconds) }, uniquingKeysWith: +)
    }

    /// Splits start → ready into phases at the arrival time of each milestone line. A phase is
    /// named only when the lines at both its ends were seen (an optional phase may be absent in
    /// between); any other span, and the time after the last line known to the API coming up,
    /// is "unexplained": never guessed.
    public static func analyze(lines: [TimedLine], startedAt: Date?, readyAt: Date?, pinnedGBPerS: Double? = nil) -> StartupAnatomy {
        var found: [Date?] = Array(repeating: nil, count: vllmMilestones.count)
        var reported: [String: Double] = [:]
        var cache: String?
        var storeGiB: Double?, storeToGPU: Double?, checkpointGiB: Double?, modelGiB: Double?
        for line in lines {
            let s = LogLineScanner(line.text)
            if cache != "hit" {
                if s.contains("Directly load the compiled graph") { cache = "hit" }
                else if cache == nil, s.contains("Compiling a graph for") || s.contains("Dynamo bytecode transform time") { cache = "miss" }
            }
            if storeGiB == nil, let at = s.after("ServerlessLLM Store: "), let (g, _) = s.number(at: at) {
                storeGiB = g
                storeToGPU = s.number(after: "(store to GPU ", unit: "s")
            }
            if checkpointGiB == nil { checkpointGiB = s.number(after: "Checkpoint size: ", unit: "GiB") }
            if modelGiB == nil, s.contains("Model loading took ") { modelGiB = s.number(after: "Model loading took ", unit: "GiB") }
            for (i, p) in vllmMilestones.enumerated() where found[i] == nil {
                guard let seconds = p.recognise(s) else { continue }
                found[i] = line.arrival
                if let v = seconds { reported[p.milestone] = v }
            }
        }
        // The copy starts where the loader's own seconds say, never before the line ahead of it.
        let weightsIndex = vllmMilestones.firstIndex { $0.milestone == "weights" }!
        if let end = found[weightsIndex], let s = reported["weights"] {
            found[weightsIndex - 1] = end.addingTimeInterval(-s)
        }

        var phases: [AnatomyPhase] = []
        let origin = startedAt ?? lines.first?.arrival
        var cursor = lines.first?.arrival
        if let start = startedAt, let first = cursor {
            phases.append(AnatomyPhase(name: "interpreter_and_imports", seconds: max(0, first.timeIntervalSince(start))))
        }
        var last = -1   // the milestone the cursor stands at; -1: the first line
        for (i, p) in vllmMilestones.enumerated() {
            guard var at = found[i], let c = cursor else { continue }
            if p.milestone == "weights_start" { at = max(at, c) }
            // A line out of start-up order explains nothing: its span joins the next one's.
            guard at >= c else { continue }
            let between = vllmMilestones[(last + 1)..<i]
            let name = between.allSatisfy(\.optional) ? p.phase : unexplained
            var seconds = at.timeIntervalSince(c)
            // The copy is the loader's own figure exactly (the subtraction above rounds it).
            if p.milestone == "weights", last == i - 1, let w = reported["weights"], abs(seconds - w) < 1e-6 { seconds = w }
            phases.append(AnatomyPhase(name: name, seconds: seconds))
            cursor = at
            last = i
        }
        if let ready = readyAt, let c = cursor, ready >= c {
            let apiUp = last == vllmMilestones.count - 1
            phases.append(AnatomyPhase(name: apiUp ? "first_200_on_models" : unexplained, seconds: ready.timeIntervalSince(c)))
        }
        let readySeconds = readyAt.flatMap { r in origin.map { r.timeIntervalSince($0) } }
        var a = StartupAnatomy(phases: phases, reported: reported, readySeconds: readySeconds, compileCache: cache, findings: [])
        a.modelGiB = modelGiB
        a.pinnedGBPerS = pinnedGBPerS
        if let s = reported["weights"] {
            a.weights = WeightsCopy(gib: storeGiB ?? checkpointGiB ?? modelGiB, seconds: s, storeToGPUSeconds: storeGiB == nil ? nil : storeToGPU)
        }
        a.findings = a.explain()
        return a
    }

    /// Plain-words findings; every figure in them is the table's own.
    func explain() -> [String] {
        var out: [String] = []
        guard let ready = readySeconds, ready > 0 else { return out }
        let p = phaseDurations
        if compileCache == "miss" || (compileCache == nil && reported["compile"].map { $0 > 15 } == true) {
            out.append("compile cache missed: persist VLLM_CACHE_ROOT on the fast disk (torch.compile took \(String(format: "%.1f", reported["compile"] ?? 0)) s)")
        }
        if let w = p["weights_load"], w > 0 {
            let share = w / ready
            let ceiling = 1 / max(1e-9, 1 - share)
            out.append(String(format: "weights are %.0f %% of ready: a faster loader cannot give more than %.2f×", share * 100, ceiling))
        }
        if let copy = weights, let gib = copy.gib, let rate = copy.gbPerS {
            var line = String(format: "weights: %.2f GiB in %.2f s = %.1f GB/s", gib, copy.seconds, rate)
            if let s = copy.storeToGPUSeconds, let r = copy.storeToGPUGBPerS {
                line += String(format: ", store to GPU %.2f s = %.1f GB/s", s, r)
            }
            if let pinned = pinnedGBPerS, pinned > 0 {
                let best = copy.storeToGPUGBPerS ?? rate
                line += String(format: ", %.0f %% of the pinned copy (%.1f GB/s; floor %.2f s)", best / pinned * 100, pinned,
                               gib * 1_073_741_824 / (pinned * 1e9))
            } else {
                line += " (a pinned host→GPU copy is the floor: sllm-doctor startup --pinned-copy PYTHON measures it on this GPU)"
            }
            out.append(line)
        }
        let imports = p["interpreter_and_imports"] ?? 0
        let engine = p["api_server_to_engine"] ?? 0
        if (imports + engine) / ready > 0.3 {
            out.append(String(format: "Python start-up of the API server and engine processes is %.0f %% of ready (%.1f s): bytecode caches and a warm page cache keep it down (sllm-doctor startup); a warm interpreter template (integrations/vllm-template, bench's template knob) forks the server from a process that has imported them, and sleep mode keeps the process", (imports + engine) / ready * 100, imports + engine))
        }
        // A forked engine process logs within a second or two of the API server's config; a
        // spawned one starts Python again and imports vLLM again first (11 s on the H100).
        if engine > 5 {
            out.append(String(format: "the engine process started %.1f s after the API server: vLLM's CLI spawns it, a second Python start that imports vLLM again; VLLM_WORKER_MULTIPROC_METHOD=fork forks it from the API server instead (bench --explore's fork knob measures it)", engine))
        }
        if let u = p[Self.unexplained], u / ready >= 0.05 {
            out.append(String(format: "%.2f s (%.0f %% of ready) is unexplained: the log lacks lines this anatomy knows at both ends of that span (another vLLM version, or not vLLM)", u, u / ready * 100))
        }
        return out
    }
}
