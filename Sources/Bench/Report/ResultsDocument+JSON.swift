import Basics
import Foundation
import SystemProbes

// The results document as JSON: one writer (bench's results file, `--json`) and one reader
// (`bench report`, a plan's `reference:`). Every key the writer puts, the reader takes back.
//
// Reading a file an earlier version wrote normalises two things (tested on the committed files):
// - a missing `compose` or `partial_reason` (files before 2026-11-24) is written back as null;
// - `sleep_freed_gib` (2026-11-23's name) is read as `sleep_freed_gpu_gib` and written so.
// Keys this version does not know are not kept.
extension ResultsDocument {
    /// The results file's largest accepted size: a 3-run bench of five variants writes ~30 KB.
    public static let readLimit = 16 << 20

    public static func read(file: String) throws -> ResultsDocument {
        let text: String
        do { text = try BoundedRead.strictText(file, limit: readLimit) }
        catch { throw ResultsReadError(file: file, path: "$", expected: "a readable results file (\(error.reason))") }
        return try parse(text, file: file)
    }

    public static func parse(_ text: String, file: String) throws -> ResultsDocument {
        let value: JSONValue
        do { value = try JSONLite.parse(Array(text.utf8)) }
        catch let e as JSONLiteError { throw ResultsReadError(file: file, path: "byte \(e.offset)", expected: e.expected) }
        return try ResultsDocument(JSONField(value, file: file))
    }

    /// A plan's `reference: FILE` or `FILE#VARIANT`: the variant marked `vllm_as_given` (or the
    /// named one) of that results file, by its ready median.
    public static func reference(_ text: String, relativeTo dir: String) throws -> Reference {
        let parts = text.split(separator: "#", maxSplits: 1).map(String.init)
        let file = parts[0].hasPrefix("/") ? parts[0] : FileFacts.join(dir, parts[0])
        let doc = try read(file: file)
        let chosen = parts.count > 1 ? doc.variants.first { $0.name == parts[1] } : doc.variants.first { $0.vllmAsGiven }
        guard let v = chosen else {
            throw ResultsReadError(file: file, path: "$.variants", expected: parts.count > 1 ? "a variant named \(parts[1])"
                                   : "a variant with \"vllm_as_given\": true (or name one: \(parts[0])#VARIANT)")
        }
        guard let ready = v.median.readyMs else {
            throw ResultsReadError(file: file, path: "$.variants[\(v.name)].median.ready_ms", expected: "a ready median (no run of \(v.name) finished ok)")
        }
        return Reference(file: parts[0], variant: v.name, readyMedianMs: ready)
    }

    init(_ j: JSONField) throws {
        tool = try j.required("tool").string()
        version = try j.required("version").string()
        mode = try j.required("mode").oneOf(BenchMode.self, BenchMode.allCases.map(\.rawValue))
        timestampUTC = try j.required("timestamp_utc").string()
        gitSHA = try j.required("git_sha").string()
        host = try j.required("host").string()
        gpu = try j.required("gpu").string()
        model = try j.optional("model") { try $0.string() }
        runs = try j.required("runs").int()
        note = try j.required("note").string()
        partial = try j.required("partial").bool()
        partialReason = try j.optional("partial_reason") { try $0.string() }
        let f = try j.required("flags")
        flags = Flags(dropCaches: try f.required("drop_caches").bool(), offline: try f.required("offline").bool(),
                      readyTimeoutS: try f.required("ready_timeout_s").double(), maxTokens: try f.required("max_tokens").int(),
                      prompt: try f.required("prompt").string(), decodeProbeTokens: try f.optional("decode_probe_tokens") { try $0.int() })
        baseline = try j.optional("baseline") { try $0.string() }
        compose = try j.optional("compose") { try $0.string() }
        variants = try j.required("variants").array().map(Variant.init)
        wallS = try j.required("wall_s").double()
        overheadS = try j.required("overhead_s").double()
        explore = try j.optional("explore", Explore.init)
        templates = try j.optional("templates") { try $0.array().map(Template.init) } ?? []
        snapshots = try j.optional("snapshots") { try $0.array().map(Snapshot.init) } ?? []
        reference = try j.optional("reference") {
            Reference(file: try $0.required("file").string(), variant: try $0.required("variant").string(),
                      readyMedianMs: try $0.required("ready_median_ms").double())
        }
    }

    /// The document as JSON (keys sorted when printed).
    public func json() -> JSONValue {
        var o = JSONObjectBuilder()
        o.put("tool", tool); o.put("version", version); o.put("mode", mode.rawValue)
        o.put("timestamp_utc", timestampUTC); o.put("git_sha", gitSHA); o.put("host", host); o.put("gpu", gpu)
        o.putOrNull("model", model); o.put("runs", runs); o.put("note", note); o.put("partial", partial)
        o.putOrNull("partial_reason", partialReason)
        var fl = JSONObjectBuilder()
        fl.put("drop_caches", flags.dropCaches); fl.put("offline", flags.offline); fl.put("ready_timeout_s", flags.readyTimeoutS)
        fl.put("max_tokens", flags.maxTokens); fl.put("prompt", flags.prompt); fl.put("decode_probe_tokens", flags.decodeProbeTokens)
        o.put("flags", fl.value)
        o.putOrNull("baseline", baseline); o.putOrNull("compose", compose)
        o.put("variants", .array(variants.map { $0.json() }))
        o.put("wall_s", wallS); o.put("overhead_s", overheadS)
        if let explore { o.put("explore", explore.json()) }
        if !templates.isEmpty { o.put("templates", .array(templates.map { $0.json() })) }
        if !snapshots.isEmpty { o.put("snapshots", .array(snapshots.map { $0.json() })) }
        if let reference {
            var r = JSONObjectBuilder()
            r.put("file", reference.file); r.put("variant", reference.variant); r.put("ready_median_ms", reference.readyMedianMs)
            o.put("reference", r.value)
        }
        return o.value
    }
}

extension ResultsDocument.Variant {
    init(_ j: JSONField) throws {
        name = try j.required("name").string()
        kind = try j.required("kind").oneOf(VariantKind.self, ["restart", "wake"])
        port = try j.required("port").int()
        serverlessLLM = try j.required("serverless_llm").bool()
        let l = try j.required("launch")
        if let c = try l.member("command") { launch = .command(try c.strings()) }
        else if let c = try l.member("compose") {
            launch = .compose(file: try c.required("file").string(), service: try c.required("service").string(), profile: try c.required("profile").string())
        } else { throw l.fail("\"command\" or \"compose\"") }
        runs = try j.required("runs").array().map(ResultsDocument.Run.init)
        coldStart = try j.optional("cold_start", ResultsDocument.Run.init)
        sleepLevel = try j.optional("sleep_level") { try $0.int() }
        knob = try j.optional("knob") { try $0.string() }
        template = try j.optional("template") { try $0.bool() } ?? false
        vllmAsGiven = try j.optional("vllm_as_given") { try $0.bool() } ?? false
        warmups = try j.optional("warmups") { try $0.array().map(ResultsDocument.Run.init) } ?? []
        let m = try j.required("median")
        median = ResultsDocument.Median(readyMs: try m.optional("ready_ms") { try $0.double() }, ttftMs: try m.optional("ttft_ms") { try $0.double() },
                                        firstCompletionS: try m.optional("first_completion_s") { try $0.double() },
                                        phasesS: try m.optional("phases_s") { try $0.numbers() } ?? [:])
        speedupVsBaseline = try j.optional("speedup_vs_baseline") { try $0.double() }
    }

    func json() -> JSONValue {
        var o = JSONObjectBuilder()
        o.put("name", name); o.put("kind", kind.rawValue); o.put("port", port); o.put("serverless_llm", serverlessLLM)
        o.put("runs", .array(runs.map { $0.json() }))
        switch launch {
        case .command(let argv):
            var l = JSONObjectBuilder(); l.put("command", argv); o.put("launch", l.value)
        case .compose(let file, let service, let profile):
            var c = JSONObjectBuilder(); c.put("file", file); c.put("service", service); c.put("profile", profile)
            var l = JSONObjectBuilder(); l.put("compose", c.value); o.put("launch", l.value)
        }
        if let coldStart { o.put("cold_start", coldStart.json()) }
        o.put("sleep_level", sleepLevel); o.put("knob", knob)
        if template { o.put("template", true) }
        if vllmAsGiven { o.put("vllm_as_given", true) }
        if !warmups.isEmpty { o.put("warmups", .array(warmups.map { $0.json() })) }
        var m = JSONObjectBuilder()
        m.put("ready_ms", median.readyMs); m.put("ttft_ms", median.ttftMs); m.put("first_completion_s", median.firstCompletionS)
        if !median.phasesS.isEmpty { m.put("phases_s", median.phasesS) }
        o.put("median", m.value)
        o.put("speedup_vs_baseline", speedupVsBaseline)
        return o.value
    }
}

extension ResultsDocument.Run {
    init(_ j: JSONField) throws {
        self.init(run: try j.required("run").int(),
                  outcome: try j.required("outcome").oneOf(RunRecord.Outcome.self, ["ok", "crash-loop", "timeout", "interrupted", "failed", "cut-off"]))
        func d(_ k: String) throws -> Double? { try j.optional(k) { try $0.double() } }
        func i(_ k: String) throws -> Int? { try j.optional(k) { try $0.int() } }
        func s(_ k: String) throws -> String? { try j.optional(k) { try $0.string() } }
        readyMs = try d("ready_ms"); ttftMs = try d("ttft_ms"); firstCompletionS = try d("first_completion_s")
        promptTokens = try i("prompt_tokens"); completionTokens = try i("completion_tokens"); exitStatus = try s("exit_status")
        stopMs = try d("stop_ms"); stop = try s("stop"); diagnosis = try s("diagnosis"); cause = try s("cause"); log = try s("log"); note = try s("note")
        containerStartMs = try d("container_start_ms"); offlineVerified = try s("offline_verified")
        storeRestartMs = try d("store_restart_ms"); crashSeenMs = try d("crash_seen_ms"); templateRestartMs = try d("template_restart_ms")
        gpuAfterStop = try s("gpu_after_stop"); spawnedAt = try s("spawned_at")
        snapshot = try j.optional("snapshot") {
            SnapshotRestore(image: try $0.required("image").string(), imageBytes: try $0.optional("image_bytes") { try $0.int() },
                            criuRestoreS: try $0.optional("criu_restore_s") { try $0.double() }, cudaRestoreS: try $0.optional("cuda_restore_s") { try $0.double() },
                            checkS: try $0.optional("check_s") { try $0.double() }, totalS: try $0.optional("total_s") { try $0.double() })
        }
        sleepMs = try d("sleep_ms"); gpuMemBeforeSleepMiB = try i("gpu_mem_before_sleep_mib"); gpuMemAfterSleepMiB = try i("gpu_mem_after_sleep_mib")
        // 2026-11-23's files call it sleep_freed_gib.
        sleepFreedGPUGiB = try d("sleep_freed_gpu_gib") ?? d("sleep_freed_gib")
        sleepCPUBackupGiB = try d("sleep_cpu_backup_gib")
        decodeTokensPerS = try d("decode_tokens_per_s"); compileCache = try s("compile_cache")
        newCompileCacheKeys = try j.optional("new_compile_cache_keys") { try $0.strings() } ?? []
        cachesDropped = try j.required("caches_dropped").bool()
        storeRestarted = try j.required("store_restarted").bool()
        phasesS = try j.optional("phases_s") { try $0.numbers() } ?? [:]
        findings = try j.optional("findings") { try $0.strings() } ?? []
        lastLines = try j.optional("last_lines") { try $0.strings() } ?? []
    }

    func json() -> JSONValue {
        var o = JSONObjectBuilder()
        o.put("run", run); o.put("outcome", outcome.rawValue)
        o.put("ready_ms", readyMs); o.put("ttft_ms", ttftMs); o.put("first_completion_s", firstCompletionS)
        o.put("prompt_tokens", promptTokens); o.put("completion_tokens", completionTokens); o.put("exit_status", exitStatus)
        o.put("stop_ms", stopMs); o.put("stop", stop); o.put("diagnosis", diagnosis); o.put("cause", cause); o.put("log", log); o.put("note", note)
        o.put("container_start_ms", containerStartMs); o.put("offline_verified", offlineVerified)
        o.put("store_restart_ms", storeRestartMs); o.put("crash_seen_ms", crashSeenMs); o.put("template_restart_ms", templateRestartMs)
        o.put("gpu_after_stop", gpuAfterStop); o.put("spawned_at", spawnedAt)
        if let snapshot {
            var r = JSONObjectBuilder()
            r.put("image", snapshot.image); r.put("image_bytes", snapshot.imageBytes); r.put("criu_restore_s", snapshot.criuRestoreS)
            r.put("cuda_restore_s", snapshot.cudaRestoreS); r.put("check_s", snapshot.checkS); r.put("total_s", snapshot.totalS)
            o.put("snapshot", r.value)
        }
        o.put("sleep_ms", sleepMs); o.put("gpu_mem_before_sleep_mib", gpuMemBeforeSleepMiB); o.put("gpu_mem_after_sleep_mib", gpuMemAfterSleepMiB)
        o.put("sleep_freed_gpu_gib", sleepFreedGPUGiB); o.put("sleep_cpu_backup_gib", sleepCPUBackupGiB)
        o.put("decode_tokens_per_s", decodeTokensPerS); o.put("compile_cache", compileCache)
        if !newCompileCacheKeys.isEmpty { o.put("new_compile_cache_keys", newCompileCacheKeys) }
        o.put("caches_dropped", cachesDropped); o.put("store_restarted", storeRestarted)
        if !phasesS.isEmpty { o.put("phases_s", phasesS) }
        if !findings.isEmpty { o.put("findings", findings) }
        if !lastLines.isEmpty { o.put("last_lines", lastLines) }
        return o.value
    }
}

extension ResultsDocument.Explore {
    init(_ j: JSONField) throws {
        rows = try j.required("rows").array().map { r in
            func d(_ k: String) throws -> Double? { try r.optional(k) { try $0.double() } }
            return ResultsDocument.ExploreRow(
                variant: try r.required("variant").string(), knob: try r.required("knob").string(),
                kind: try r.required("kind").oneOf(VariantKind.self, ["restart", "wake"]), okRuns: try r.required("ok_runs").int(),
                runs: try r.required("runs").int(), readyMedianS: try d("ready_median_s"), speedup: try d("speedup"),
                firstCompletionS: try d("first_completion_s"), decodeTokensPerS: try d("decode_tokens_per_s"),
                decodeChangePct: try d("decode_change_pct"), compileCache: try r.optional("compile_cache") { try $0.string() })
        }
        fastestKeepingDecode = try j.optional("fastest_keeping_decode") { try $0.string() }
        decodeTolerancePct = try j.required("decode_tolerance_pct").double()
        verdict = try j.required("verdict").string()
    }

    func json() -> JSONValue {
        func n(_ v: Double?) -> JSONValue { v.map { JSONValue.number($0) } ?? .null }
        let rowValues: [JSONValue] = rows.map { r in
            .object(["variant": .string(r.variant), "knob": .string(r.knob), "kind": .string(r.kind.rawValue),
                     "ok_runs": .number(r.okRuns), "runs": .number(r.runs), "ready_median_s": n(r.readyMedianS), "speedup": n(r.speedup),
                     "first_completion_s": n(r.firstCompletionS), "decode_tokens_per_s": n(r.decodeTokensPerS),
                     "decode_change_pct": n(r.decodeChangePct), "compile_cache": r.compileCache.map(JSONValue.string) ?? .null])
        }
        return .object(["rows": .array(rowValues), "fastest_keeping_decode": fastestKeepingDecode.map(JSONValue.string) ?? .null,
                        "decode_tolerance_pct": .number(decodeTolerancePct), "verdict": .string(verdict)])
    }
}

extension ResultsDocument.Template {
    init(_ j: JSONField) throws {
        python = try j.required("python").string()
        socket = try j.required("socket").string()
        crashes = try j.required("crashes").strings()
        starts = try j.required("starts").array().map {
            Start(readyMs: try $0.required("ready_ms").double(), pid: try $0.optional("pid") { try $0.int() },
                  modules: try $0.optional("modules") { try $0.int() }, loadS: try $0.optional("load_s") { try $0.double() },
                  rssBytes: try $0.optional("rss_bytes") { try $0.int() })
        }
    }

    func json() -> JSONValue {
        var o = JSONObjectBuilder()
        o.put("python", python); o.put("socket", socket); o.put("crashes", crashes)
        o.put("starts", .array(starts.map { s in
            var b = JSONObjectBuilder()
            b.put("ready_ms", s.readyMs); b.put("pid", s.pid); b.put("modules", s.modules); b.put("load_s", s.loadS); b.put("rss_bytes", s.rssBytes)
            return b.value
        }))
        return o.value
    }
}

extension ResultsDocument.Snapshot {
    init(_ j: JSONField) throws {
        variant = try j.required("variant").string()
        image = try j.required("image").string()
        made = try j.required("made").bool()
        imageBytes = try j.optional("image_bytes") { try $0.int() }
        freshStartS = try j.optional("fresh_start_s") { try $0.double() }
        createS = try j.optional("create_s") { try $0.double() }
        checkpointS = try j.optional("checkpoint_s") { try $0.double() }
        dumpS = try j.optional("dump_s") { try $0.double() }
        freshLog = try j.optional("fresh_log") { try $0.string() }
    }

    func json() -> JSONValue {
        var o = JSONObjectBuilder()
        o.put("variant", variant); o.put("image", image); o.put("made", made); o.put("image_bytes", imageBytes)
        o.put("fresh_start_s", freshStartS); o.put("create_s", createS); o.put("checkpoint_s", checkpointS); o.put("dump_s", dumpS)
        o.put("fresh_log", freshLog)
        return o.value
    }
}
