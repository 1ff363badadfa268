import DoctorCore
import Foundation
import SystemProbes
import Yams

/// How one variant's server is started.
public enum LaunchSpec: Sendable, Equatable {
    /// A plain command (hosts without docker, like a bare GPU box).
    case command(argv: [String], env: [String: String], cwd: String?)
    /// A docker compose service (the runbook's layout).
    case compose(file: String, service: String, profile: String?, container: String, envFile: String?)
}

public enum VariantKind: String, Sendable, Equatable {
    /// Stop the server, start it again: the restart the seeds measure.
    case restart
    /// Start once with sleep mode; each run sleeps and wakes it (the sleep-mode variant).
    case wake
}

public struct Variant: Sendable, Equatable {
    public var name: String
    public var kind: VariantKind = .restart
    public var launch: LaunchSpec
    public var port: Int
    /// Loads through ServerlessLLM Store: its pinned pool must be emptied for cold runs.
    public var serverlessLLM = false
    /// Restarts the store (empties its pinned memory pool) before a cold run.
    public var storeRestart: [String]?
    /// Sleep level for wake variants (2 only with an explicit flag; the weights are reloaded).
    public var sleepLevel = 1

    public init(name: String, kind: VariantKind = .restart, launch: LaunchSpec, port: Int,
                serverlessLLM: Bool = false, storeRestart: [String]? = nil, sleepLevel: Int = 1) {
        self.name = name; self.kind = kind; self.launch = launch; self.port = port
        self.serverlessLLM = serverlessLLM; self.storeRestart = storeRestart; self.sleepLevel = sleepLevel
    }
}

public enum BenchMode: String, Sendable, CaseIterable { case restart, coldstart }

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
    public init(variants: [Variant]) { self.variants = variants }
}

extension BenchPlan {
    /// The runbook's two compose services, ports from `.env`.
    public static func runbookDefault(_ context: CheckContext) throws -> BenchPlan {
        guard FileFacts.isFile(context.composePath) else {
            throw UsageError("no --plan given and no \(context.display(context.composePath)): write a plan file (docs/bench-plan.md) for hosts without docker compose")
        }
        func port(_ key: String) throws -> Int {
            guard let v = context.variable(key), let p = Int(v), (1...65535).contains(p) else {
                throw UsageError("\(key) is not set to a port in \(context.envFilePath)")
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
                    storeRestart: ["docker", "restart", container("sllm_store")]),
        ])
        plan.model = context.modelName
        return plan
    }

    /// A plan file (YAML, docs/bench-plan.md). Errors name the file and the variant.
    public static func load(path: String, context: CheckContext) throws -> BenchPlan {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) }
        catch { throw UsageError("\(path): cannot read (\(error.localizedDescription))") }
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch { throw UsageError("\(path): not valid YAML: \(error)") }
        guard let doc = root as? [String: Any] else { throw UsageError("\(path): expected a mapping with 'variants:'") }
        guard let list = doc["variants"] as? [[String: Any]], !list.isEmpty else {
            throw UsageError("\(path): expected 'variants:' with at least one entry (name, port, command or compose)")
        }
        var variants: [Variant] = []
        for (i, v) in list.enumerated() {
            let label = "\(path): variants[\(i)]"
            guard let name = v["name"] as? String, !name.isEmpty else { throw UsageError("\(label): expected name: TEXT") }
            guard !variants.contains(where: { $0.name == name }) else { throw UsageError("\(label): duplicate name \(name)") }
            guard let port = v["port"] as? Int, (1...65535).contains(port) else {
                throw UsageError("\(label) (\(name)): expected port: 1-65535")
            }
            let kind: VariantKind
            if let k = v["kind"] as? String {
                guard let parsed = VariantKind(rawValue: k) else { throw UsageError("\(label) (\(name)): kind must be restart or wake, not \(k)") }
                kind = parsed
            } else { kind = .restart }
            var env: [String: String] = [:]
            if let e = v["env"] as? [String: Any] { for (k, x) in e { env[k] = "\(x)" } }
            let launch: LaunchSpec
            if let c = v["command"] {
                let argv: [String]
                if let s = c as? String { argv = ["/bin/sh", "-c", "exec " + s] }
                else if let a = c as? [Any], !a.isEmpty { argv = a.map { "\($0)" } }
                else { throw UsageError("\(label) (\(name)): command must be a string or a list") }
                launch = .command(argv: argv, env: env, cwd: v["cwd"] as? String)
            } else if let c = v["compose"] as? [String: Any] {
                guard let service = c["service"] as? String else { throw UsageError("\(label) (\(name)): compose needs service:") }
                let file = (c["file"] as? String).map(context.absolute) ?? context.composePath
                launch = .compose(file: file, service: service, profile: c["profile"] as? String,
                                  container: c["container"] as? String ?? service,
                                  envFile: FileFacts.isFile(context.envFilePath) ? context.envFilePath : nil)
            } else {
                throw UsageError("\(label) (\(name)): expected command: or compose:")
            }
            var storeRestart: [String]?
            if let s = v["store_restart"] as? String { storeRestart = ["/bin/sh", "-c", s] }
            else if let a = v["store_restart"] as? [Any] { storeRestart = a.map { "\($0)" } }
            let level = v["sleep_level"] as? Int ?? 1
            guard level == 1 || level == 2 else { throw UsageError("\(label) (\(name)): sleep_level must be 1 or 2") }
            variants.append(Variant(name: name, kind: kind, launch: launch, port: port,
                                    serverlessLLM: v["serverless_llm"] as? Bool ?? false, storeRestart: storeRestart, sleepLevel: level))
        }
        var plan = BenchPlan(variants: variants)
        if let r = doc["runs"] as? Int { plan.runs = r }
        if let m = doc["model"] as? String { plan.model = m } else { plan.model = context.modelName }
        if let p = doc["prompt"] as? String { plan.prompt = p }
        if let t = doc["max_tokens"] as? Int { plan.maxTokens = t }
        if let t = doc["ready_timeout_s"] as? Double { plan.readyTimeout = t } else if let t = doc["ready_timeout_s"] as? Int { plan.readyTimeout = Double(t) }
        if let g = doc["stop_grace_s"] as? Double { plan.stopGrace = g } else if let g = doc["stop_grace_s"] as? Int { plan.stopGrace = Double(g) }
        return plan
    }
}
