import Foundation
import SystemProbes
import Runbook
import Basics

/// Everything one benchmark does.
public struct BenchPlan: Sendable {
    public var variants: [Variant]
    public var runs = 3
    public var mode = BenchMode.restart
    public var dropCaches = false
    public var offline = false
    public var note = ""
    public var model: String?
    public var prompt = "Explain in one paragraph why restart latency matters for serverless inference."
    public var maxTokens = 64
    public var readyTimeout: TimeInterval = 900
    public var stopGrace: TimeInterval = 30
    public var host = "127.0.0.1"
    /// The compose command used, named in the results and the Notes (nil: no compose variant).
    public var composeLabel: String?
    /// After the first completion, a second one of exactly this many tokens (ignore_eos) gives
    /// the decode speed a configuration keeps once it is up (`bench --explore`: 256).
    public var decodeProbeTokens: Int?
    /// `bench --explore`: the variants are the first one's start-up knobs.
    public var explore = false
    /// The warm interpreter template's Python side (plan `template:`); template variants need it.
    public var templateSpec: TemplateSpec?
    /// vLLM as given from an earlier results file (plan key `reference: FILE` or `FILE#VARIANT`).
    public var reference: ResultsDocument.Reference?
    public var usesTemplate: Bool { variants.contains(where: \.template) }
    public var usesSnapshot: Bool { variants.contains { $0.snapshot != nil } }
    public var usesCompose: Bool { variants.contains { if case .compose = $0.launch { return true }; return false } }
    public init(variants: [Variant]) { self.variants = variants }
}

extension BenchPlan {
    /// The runbook's two compose services, ports from `.env`.
    public static func runbookDefault(_ context: RunbookFacts) throws -> BenchPlan {
        guard FileFacts.isFile(context.composePath) else {
            throw PlanError("no --plan given and no \(context.display(context.composePath)): write a plan file (docs/bench-plan.md) for hosts without docker compose")
        }
        func port(_ key: String) throws -> Int {
            guard let v = context.variable(key), let p = Int(v), (1...65535).contains(p) else {
                throw PlanError("\(key) is not set to a port in \(context.envFilePath)", file: context.envFilePath, key: key)
            }
            return p
        }
        let compose = try ComposeFile.load(path: context.composePath)
        func container(_ service: String) -> String {
            compose.services.first { $0.name == service }?.containerName ?? service
        }
        let envFile = FileFacts.isFile(context.envFilePath) ? context.envFilePath : nil
        var plan = BenchPlan(variants: [
            Variant(name: "baseline", launch: .compose(file: context.composePath, service: "vllm_baseline", profile: "baseline",
                                                       container: container("vllm_baseline"), envFile: envFile),
                    port: try port("VLLM_BASELINE_PORT")),
            Variant(name: "faststart", launch: .compose(file: context.composePath, service: "vllm_faststart", profile: "faststart",
                                                        container: container("vllm_faststart"), envFile: envFile),
                    port: try port("VLLM_FASTSTART_PORT"), serverlessLLM: true,
                    // With a separate store service, restarting it empties its pinned pool; without
                    // one the store lives in the faststart container, which every run recreates.
                    storeRestart: compose.services.contains { $0.name == "sllm_store" } ? ["docker", "restart", container("sllm_store")] : nil),
        ])
        plan.model = context.modelName
        return plan
    }

    /// A string command runs through `sh -c`. A single command is `exec`ed, so the server is
    /// the process bench started; a shell line (`cd /x && python3 …`, pipes, `;`) runs as
    /// written, and stopping the server still stops it all (its process group).
    static func shellArgv(_ command: String) -> [String] {
        let shellSyntax = command.contains { ";&|\n()<>`".contains($0) } || command.trimmingCharacters(in: .whitespaces).hasPrefix("cd ")
        return ["/bin/sh", "-c", shellSyntax ? command : "exec " + command]
    }

    /// A plan file (YAML, docs/bench-plan.md). Errors name the file and the variant.
    public static func load(path: String, context: RunbookFacts) throws -> BenchPlan {
        let text: String
        do { text = try BoundedRead.strictText(path) }
        catch { throw PlanError("\(path): cannot read (\(error.reason))", file: path) }
        return try parse(text, path: path, context: context)
    }

    /// A plan's text; `path` names it in errors.
    /// Every key a plan may hold at its top, and in each variant.
    static let planKeys: Set<String> = ["model", "prompt", "max_tokens", "ready_timeout_s", "stop_grace_s", "reference", "runs",
                                        "template", "variants", "warmup_runs"]
    static let variantKeys: Set<String> = ["name", "port", "command", "compose", "cwd", "env", "kind", "kv_cache_from_log",
                                           "serverless_llm", "sleep_level", "snapshot", "store_restart", "template", "vllm_as_given",
                                           "warmup_runs"]

    public static func parse(_ text: String, path: String, context: RunbookFacts) throws -> BenchPlan {
        let root: YAMLNode?
        do { root = try SafeYAML.loadNode(text, path: path) } catch { throw PlanError("\(error)", file: path) }
        guard let doc = root?.mapping else { throw PlanError("\(path): expected a mapping with 'variants:'", file: path) }
        // A key the parser does not read would be silently ignored: a typo (or a key of a later
        // version) must not run a different benchmark than the user wrote.
        if let unknown = doc.keys.sorted().first(where: { !planKeys.contains($0) }) {
            throw PlanError("\(path): \(unknown) is not a plan key (expected one of \(planKeys.sorted().joined(separator: ", ")))", file: path, key: unknown)
        }
        let warmups = try PlanNumber.int(doc["warmup_runs"], key: "warmup_runs", in: PlanNumber.warmupRuns, at: path)
        guard let list = doc["variants"]?.list, !list.isEmpty else {
            throw PlanError("\(path): expected 'variants:' with at least one entry (name, port, command or compose)", file: path, key: "variants")
        }
        var variants: [Variant] = []
        for (i, item) in list.enumerated() {
            // Every error below names this plan file and this variant, whoever throws it.
            do {
                var v = try parseVariant(item, index: i, path: path, context: context, earlier: variants)
                if let w = warmups, item["warmup_runs"] == nil { v.warmupRuns = w }
                variants.append(v)
            }
            catch var e as PlanError {
                e.file = e.file ?? path
                e.variant = e.variant ?? (item["name"]?.string ?? "variants[\(i)]")
                throw e
            }
        }
        let asGiven = variants.filter(\.vllmAsGiven).map(\.name)
        if asGiven.count > 1 {
            throw PlanError("\(path): vllm_as_given: true on \(asGiven.joined(separator: " and ")): one variant is vLLM as given, the speed-ups divide by it", file: path, key: "vllm_as_given")
        }
        var plan = BenchPlan(variants: variants)
        if let r = try PlanNumber.int(doc["runs"], key: "runs", in: PlanNumber.runs, at: path) { plan.runs = r }
        if let m = doc["model"]?.string { plan.model = m } else { plan.model = context.modelName }
        if let p = doc["prompt"]?.string { plan.prompt = p }
        if let t = try PlanNumber.int(doc["max_tokens"], key: "max_tokens", in: 1...65536, at: path) { plan.maxTokens = t }
        if let t = try PlanNumber.seconds(doc["ready_timeout_s"], key: "ready_timeout_s", in: PlanNumber.readyTimeout, at: path) { plan.readyTimeout = t }
        if let g = try PlanNumber.seconds(doc["stop_grace_s"], key: "stop_grace_s", in: PlanNumber.stopGrace, at: path) { plan.stopGrace = g }
        if let r = doc["reference"] {
            guard let text = r.string else { throw PlanError("\(path): reference must be a results file (FILE.json or FILE.json#VARIANT)", file: path, key: "reference") }
            do { plan.reference = try ResultsDocument.reference(text, relativeTo: FileFacts.parent(of: path)) }
            catch { throw PlanError("\(path): reference: \(error)", file: path, key: "reference") }
        }
        if let t = doc["template"] {
            guard let m = t.mapping else {
                throw PlanError("\(path): template must be a mapping (pythonpath, preload, watch)", file: path, key: "template")
            }
            if let unknown = m.keys.sorted().first(where: { !["pythonpath", "preload", "watch"].contains($0) }) {
                throw PlanError("\(path): template.\(unknown) is not a key of template (expected pythonpath, preload, watch)", file: path, key: "template.\(unknown)")
            }
            func list(_ key: String) throws -> [String] {
                guard let x = m[key] else { return [] }
                guard let a = x.list else { throw PlanError("\(path): template.\(key) must be a list of module names", file: path, key: "template.\(key)") }
                return a.map(\.scalarText)
            }
            let folder = m["pythonpath"]?.string.map(context.absolute) ?? TemplateSpec.defaultPath(root: context.root)
            plan.templateSpec = TemplateSpec(pythonPath: folder, preload: try list("preload"), watch: try list("watch"))
        }
        return plan
    }

    /// One entry of `variants:`; `earlier` are the ones before it (names must differ).
    static func parseVariant(_ item: YAMLNode, index i: Int, path: String, context: RunbookFacts, earlier variants: [Variant]) throws -> Variant {
        let label = "\(path): variants[\(i)]"
        guard let v = item.mapping else { throw PlanError("\(label): expected a mapping (name, port, command or compose)") }
        if let unknown = v.keys.sorted().first(where: { !variantKeys.contains($0) }) {
            let named = v["name"]?.string.map { " (\($0))" } ?? ""
            throw PlanError("\(label)\(named): \(unknown) is not a variant key (expected one of \(variantKeys.sorted().joined(separator: ", ")))", key: unknown)
        }
        guard let name = v["name"]?.string, !name.isEmpty else { throw PlanError("\(label): expected name: TEXT", key: "name") }
        guard Variant.isSafeName(name) else {
            throw PlanError("\(label): name must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (it names the log files)", key: "name")
        }
        // Names become file names and table cells: a token there would sit in `ls` output.
        guard Redactor(secrets: context.secretValues)(name) == name else {
            throw PlanError("\(label): the name looks like a secret token: choose a plain name", key: "name")
        }
        guard !variants.contains(where: { $0.name == name }) else { throw PlanError("\(label): duplicate name \(name)", key: "name") }
        let port = try PlanNumber.int(v["port"], key: "port", in: 1...65535, at: "\(label) (\(name))", required: true)!
        let warmupRuns = try PlanNumber.int(v["warmup_runs"], key: "warmup_runs", in: PlanNumber.warmupRuns, at: "\(label) (\(name))")
        let kind: VariantKind
        if let k = v["kind"] {
            guard let text = k.string, let parsed = VariantKind(rawValue: text) else {
                throw PlanError("\(label) (\(name)): kind must be restart or wake", key: "kind")
            }
            kind = parsed
        } else { kind = .restart }
        var env: [String: String] = [:]
        if let e = v["env"] {
            guard let m = e.mapping else { throw PlanError("\(label) (\(name)): env must be a mapping of NAME: value", key: "env") }
            for (k, x) in m { env[k] = x.scalarText }
        }
        let launch: LaunchSpec
        if let c = v["command"] {
            let argv: [String]
            if let s = c.string, !s.trimmingCharacters(in: .whitespaces).isEmpty { argv = Self.shellArgv(s) }
            else if let a = c.list, !a.isEmpty { argv = a.map(\.scalarText) }
            else if c.string != nil || c.list != nil {
                throw PlanError("\(label) (\(name)): command is empty: expected the program and its arguments, e.g. [vllm, serve, MODEL, --port, '8001']", key: "command")
            } else { throw PlanError("\(label) (\(name)): command must be a string or a list", key: "command") }
            launch = .command(argv: argv, env: env, cwd: v["cwd"]?.string)
        } else if let c = v["compose"]?.mapping {
            if let unknown = c.keys.sorted().first(where: { !["service", "file", "profile", "container"].contains($0) }) {
                throw PlanError("\(label) (\(name)): compose.\(unknown) is not a key of compose (expected service, file, profile, container)", key: "compose.\(unknown)")
            }
            guard let service = c["service"]?.string else { throw PlanError("\(label) (\(name)): compose needs service:", key: "compose") }
            let file = c["file"]?.string.map(context.absolute) ?? context.composePath
            launch = .compose(file: file, service: service, profile: c["profile"]?.string,
                              container: c["container"]?.string ?? service,
                              envFile: FileFacts.isFile(context.envFilePath) ? context.envFilePath : nil)
        } else {
            throw PlanError("\(label) (\(name)): expected command: or compose:", key: "command")
        }
        var storeRestart: [String]?
        if let s = v["store_restart"]?.string { storeRestart = ["/bin/sh", "-c", s] }
        else if let a = v["store_restart"]?.list { storeRestart = a.map(\.scalarText) }
        let level = try PlanNumber.int(v["sleep_level"], key: "sleep_level", in: 1...2, at: "\(label) (\(name))") ?? 1
        var serverless = false
        if let b = v["serverless_llm"] {
            guard let flag = b.bool else { throw PlanError("\(label) (\(name)): serverless_llm must be true or false", key: "serverless_llm") }
            serverless = flag
        }
        var variant = Variant(name: name, kind: kind, launch: launch, port: port,
                              serverlessLLM: serverless, storeRestart: storeRestart, sleepLevel: level)
        if let w = warmupRuns { variant.warmupRuns = w }
        if let b = v["template"] {
            guard let flag = b.bool else { throw PlanError("\(label) (\(name)): template must be true or false", key: "template") }
            if flag {
                guard kind == .restart, case .command(let argv, _, _) = launch, argv.first != "/bin/sh" else {
                    throw PlanError("\(label) (\(name)): template: true needs a restart variant whose command is a list (python -m ... or vllm ...): the template forks Python, not a shell or a container", key: "template")
                }
            }
            variant.template = flag
        }
        if let b = v["vllm_as_given"] {
            guard let flag = b.bool else { throw PlanError("\(label) (\(name)): vllm_as_given must be true or false", key: "vllm_as_given") }
            variant.vllmAsGiven = flag
        }
        if let b = v["kv_cache_from_log"] {
            guard let flag = b.bool else { throw PlanError("\(label) (\(name)): kv_cache_from_log must be true or false", key: "kv_cache_from_log") }
            // --kv-cache-memory-bytes with the size an earlier start of this bench logged.
            variant.kvCacheFromLog = flag
        }
        if let x = v["snapshot"] {
            variant.snapshot = try SnapshotSpec.parse(x, variant: variant, at: "\(label) (\(name))", context: context)
        }
        return variant
    }
}
