import DoctorCore
import Foundation
import Runbook
import Basics

/// `bench --explore`: from the first variant's command, one variant per known start-up knob of
/// vLLM, each measured for what it saves before ready and what it costs after (first
/// completion, decode speed on a fixed-length completion).
public enum Explore {
    /// Capture sizes for the "fewer CUDA graphs" knob: the small batch sizes a restart-bound
    /// service mostly sees, instead of vLLM's default list of up to ~67 sizes.
    public static let smallCaptureSizes = [1, 2, 4, 8]
    /// Full CUDA graphs up to a short prompt's length: a small prefill replays, not eager (the
    /// first token kept without torch.compile; H200, 2026-12-02: warm TTFT 12 ms, as given 17 ms).
    public static let prefillCaptureSizes = [1, 2, 4, 8, 16, 32, 64]
    /// Decode probe length: long enough that the per-token rate dominates the first token.
    public static let decodeTokens = 256
    /// A configuration "keeps" decode when it is within this fraction of the first variant's.
    public static let decodeTolerance = 0.05
    /// A knob helps when it is at least this much faster than the reference: one run of a
    /// vLLM start varies by a second or two, and fastsafetensors 0.7 s "faster" (noise) was
    /// stacked into a combination it then slowed by 8 s (H100, 2026-11-24).
    public static let minimumGain = 0.03

    /// The knobs, in the order they are tried. The first variant itself (compile cache as the
    /// user has it) comes first, as the reference.
    /// `environment`: what the servers inherit; with PYTHONDONTWRITEBYTECODE set there (or in
    /// the variant), a "bytecode" knob lets Python keep its compiled modules between starts.
    /// `template`: the warm interpreter template can run here (the plan's `template:` folder exists).
    public static func variants(from base: Variant, environment: [String: String] = [:], template: Bool = false) throws -> [Variant] {
        guard case .command(let argv, let baseEnv, _) = base.launch, argv.first != "/bin/sh" else {
            throw ExploreError("--explore needs the first variant to be a plain command (a list in the plan): it adds vLLM flags to it")
        }
        func knob(_ name: String, _ words: String, _ change: KnobChange, kind: VariantKind = .restart, freshCache: Bool = false) -> Variant {
            var v = apply([change], to: base, name: name)
            v.kind = kind
            v.knob = words
            v.knobChange = kind == .restart && !freshCache ? change : nil
            v.freshCompileCache = freshCache
            return v
        }
        var first = base
        first.knob = first.knob ?? "as given (compile cache as configured)"
        // The reference and every configuration with its own compile-cache key start once
        // uncounted, so each row shows a steady restart (compile-cold shows the other case).
        first.warmupRuns = 1
        let sizes = "{\"cudagraph_capture_sizes\": [\(smallCaptureSizes.map(String.init).joined(separator: ", "))]}"
        // No torch.compile (nothing to load from or write to its cache, no Dynamo trace on every
        // start) but CUDA graphs still replay decode steps: what decode speed that keeps is
        // what the probe after each start measures.
        let noCompile = "{\"mode\": 0, \"cudagraph_mode\": \"FULL_DECODE_ONLY\", \"cudagraph_capture_sizes\": [\(smallCaptureSizes.map(String.init).joined(separator: ", "))]}"
        let fullGraphs = "{\"mode\": 0, \"cudagraph_mode\": \"FULL\", \"cudagraph_capture_sizes\": [\(prefillCaptureSizes.map(String.init).joined(separator: ", "))]}"
        let noBytecode = !(baseEnv["PYTHONDONTWRITEBYTECODE"] ?? environment["PYTHONDONTWRITEBYTECODE"] ?? "").isEmpty
        // Its first start writes the bytecode (a cost once): the warm-up pays it. It runs after
        // every other knob: the .pyc files it writes stay, and PYTHONDONTWRITEBYTECODE stops
        // writing them, not reading them, so every later start would get them too (seen on the
        // H100, 2026-11-24: the knobs after it were measured against the wrong reference).
        let bytecode = noBytecode ? [warm(knob("bytecode", "PYTHONDONTWRITEBYTECODE unset (Python keeps compiled modules between starts; run after the other knobs, as its .pyc files stay)",
                                                KnobChange(env: ["PYTHONDONTWRITEBYTECODE": ""], group: "bytecode")))] : []
        return [first] + [
            knob("compile-cold", "empty VLLM_CACHE_ROOT every run (torch.compile from scratch)", KnobChange(group: "cost"), freshCache: true),
            knob("in-process", "VLLM_ENABLE_V1_MULTIPROCESSING=0 (the engine runs in the API server's process: one Python start, not two)",
                 KnobChange(env: ["VLLM_ENABLE_V1_MULTIPROCESSING": "0"], group: "process")),
            knob("fork", "VLLM_WORKER_MULTIPROC_METHOD=fork (vLLM's CLI otherwise spawns the engine process, which imports everything again)",
                 KnobChange(env: ["VLLM_WORKER_MULTIPROC_METHOD": "fork"], group: "process")),
        ] + (template ? [
            knob("template", "forked from a warm interpreter template (torch and vLLM imported once, not on every start)",
                 KnobChange(template: true, group: "template")),
            // vLLM's gc.collect() calls otherwise walk the template's whole inherited heap and write
            // to its shared pages (H200, 2026-12-02: 6.3 s → 3.2 s).
            knob("template-gc-freeze", "forked from the template with its heap frozen for the collector (VLLM_TEMPLATE_GC_FREEZE=1)",
                 KnobChange(env: ["VLLM_TEMPLATE_GC_FREEZE": "1"], template: true, group: "template")),
        ] : []) + [
            knob("eager", "--enforce-eager (no torch.compile, no CUDA graphs)",
                 KnobChange(drop: ["--enforce-eager", "--compilation-config", "-O"], add: ["--enforce-eager"], group: "graphs")),
            warm(knob("graphs-1-8", "CUDA graphs for batch sizes \(smallCaptureSizes.map(String.init).joined(separator: ",")) only",
                      KnobChange(drop: ["--compilation-config", "-O", "--enforce-eager"], add: ["--compilation-config", sizes], group: "graphs"))),
            knob("no-compile", "torch.compile off; full CUDA graphs for decode at batch sizes \(smallCaptureSizes.map(String.init).joined(separator: ",")) (prefill eager)",
                 KnobChange(drop: ["--compilation-config", "-O", "--enforce-eager"], add: ["--compilation-config", noCompile], group: "graphs")),
            knob("no-compile-full-graphs", "torch.compile off; full CUDA graphs at batch sizes \(prefillCaptureSizes.map(String.init).joined(separator: ",")) (small prefills replayed too)",
                 KnobChange(drop: ["--compilation-config", "-O", "--enforce-eager"], add: ["--compilation-config", fullGraphs], group: "graphs")),
            knob("kv-cache-memory", "--kv-cache-memory-bytes from the reference's logged KV-cache size (vLLM skips its memory profile)",
                 KnobChange(drop: ["--kv-cache-memory-bytes"], kvCacheFromLog: true, group: "kv")),
            knob("fastsafetensors", "--load-format fastsafetensors",
                 KnobChange(drop: ["--load-format"], add: ["--load-format", "fastsafetensors"], group: "loader")),
            knob("runai_streamer", "--load-format runai_streamer",
                 KnobChange(drop: ["--load-format"], add: ["--load-format", "runai_streamer"], group: "loader")),
        ] + bytecode + [
            knob("sleep-wake", "sleep mode: the server stays, asleep; this is a wake-up, not a restart", KnobChange(group: "wake"), kind: .wake),
        ]
    }

    static func warm(_ v: Variant) -> Variant { var v = v; v.warmupRuns = 1; return v }

    /// Only the named knobs (and the reference); nil or empty: all of them.
    public static func select(_ variants: [Variant], knobs: [String]) throws -> [Variant] {
        guard !knobs.isEmpty else { return variants }
        let known = variants.dropFirst().map(\.name)
        if let bad = knobs.first(where: { !known.contains($0) }) {
            throw ExploreError("--knobs \(bad): expected some of \(known.joined(separator: ", "))")
        }
        return [variants[0]] + variants.dropFirst().filter { knobs.contains($0.name) }
    }

    /// The first variant with these knob changes applied, in order.
    public static func apply(_ changes: [KnobChange], to base: Variant, name: String) -> Variant {
        guard case .command(var argv, var env, let cwd) = base.launch else { return base }
        for c in changes {
            argv = removing(c.drop, from: argv) + c.add
            env.merge(c.env) { $1 }
        }
        var v = Variant(name: name, launch: .command(argv: argv, env: env, cwd: cwd), port: base.port)
        v.template = base.template || changes.contains(where: \.template)
        v.kvCacheFromLog = base.kvCacheFromLog || changes.contains(where: \.kvCacheFromLog)
        return v
    }

    /// After the knobs ran: the ones that were faster than the reference and kept decode within
    /// the tolerance, the best of each group, stacked into one variant (nil: none helped).
    public static func combined(from base: Variant, report: ExploreReport, variants: [Variant]) -> Variant? {
        guard let refReady = report.reference?.readyMedianS else { return nil }
        var best: [String: (ExploreReport.Row, KnobChange)] = [:]
        for row in report.rows {
            guard let v = variants.first(where: { $0.name == row.variant }), let change = v.knobChange, v.kind == .restart,
                  let ready = row.readyMedianS, ready < refReady * (1 - minimumGain),
                  (row.decodeChangePct ?? -100) >= -ExploreReport.tolerancePct else { continue }
            if let held = best[change.group], (held.0.readyMedianS ?? .infinity) <= ready { continue }
            best[change.group] = (row, change)
        }
        guard best.count >= 2 else { return nil }   // one knob alone is already in the table
        let chosen = best.values.sorted { ($0.0.readyMedianS ?? 0) < ($1.0.readyMedianS ?? 0) }
        var v = apply(chosen.map(\.1), to: base, name: "combined")
        v.knob = "together: " + chosen.map(\.0.variant).joined(separator: " + ")
        // A new compilation config is a new compile-cache key; bytecode is written on a first start.
        if chosen.contains(where: { $0.1.add.contains("--compilation-config") || $0.1.group == "bytecode" }) { v.warmupRuns = 1 }
        return v
    }

    /// argv without the named flags and their values (`--flag value` and `--flag=value`).
    static func removing(_ flags: [String], from argv: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        let takesNoValue: Set<String> = ["--enforce-eager"]
        while i < argv.count {
            let a = argv[i]
            if flags.contains(a) {
                i += takesNoValue.contains(a) ? 1 : 2
                continue
            }
            if flags.contains(where: { a.hasPrefix($0 + "=") }) { i += 1; continue }
            out.append(a)
            i += 1
        }
        return out
    }
}
