import DoctorCore
import Runbook
import Basics

/// The variables the runbook needs are set and well-formed.
public struct EnvValuesCheck: Check {
    public let id = "env.values"
    public let title = "required variables set, typed values valid"
    public let dependsOn = ["env.file"]
    /// Where the model's files are on the hosts this check judges (the profile decides).
    public let layout: RunbookLayout
    public init(layout: RunbookLayout = .folders) { self.layout = layout }

    static let required = ["MODEL_FOLDER", "HF_CACHE_FOLDER", "MODEL_NAME"]
    static let sizeKeys = ["MEM_POOL_SIZE", "SLLM_CHUNK_SIZE"]

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        if layout == .modelVolume { return prebaked(context) }
        if context.usingRunbookDefaults {
            var evidence = Evidence()
            for (k, v) in RunbookDefaults.values { evidence[k] = v }
            return .pass("no .env: the runbook's defaults stand in (MODEL_NAME=\(RunbookDefaults["MODEL_NAME"]!); -v lists all)", evidence: evidence)
        }
        guard let env = context.env else { return .skip("no .env") }
        // Values as the compose CLI here reads `.env` (`${ROOT:-/nvme}/models` is a path);
        // with no CLI found, each reading is judged and the worse verdict stands.
        var verdicts: [CheckResult] = []
        for reading in context.dotEnvReadings {
            verdicts.append(judge(env, reading.values, context))
        }
        if verdicts.isEmpty { verdicts.append(judge(env, [:], context)) }
        return verdicts.max { $0.status < $1.status }!
    }

    func judge(_ env: EnvFile, _ read: [String: DotEnvDialect.Assignment], _ context: RunbookFacts) -> CheckResult {
        var problems: [String] = []
        var evidence = Evidence()
        let envDisplay = context.display(env.path)
        // The one reading every reader uses (`.env` → environment → defaults), read as this
        // reading of `.env` reads it.
        func where_(_ key: String) -> String {
            context.reading(key, readAs: read)?.origin(envDisplay: envDisplay) ?? envDisplay
        }
        /// "at .env:3", "from the environment": where a message's value came from.
        func at(_ key: String) -> String {
            guard let r = context.reading(key, readAs: read) else { return "at \(envDisplay)" }
            if case .dotEnv = r.source { return "at \(where_(key))" }
            return "from \(where_(key))"
        }
        func value(_ key: String) -> String? {
            guard let r = context.reading(key, readAs: read) else { return nil }
            if let v = r.value { return v }
            problems.append("\(key) \(at(key)) cannot be worked out: \(r.failure ?? "no value")")
            return nil
        }
        for key in Self.required {
            if let v = value(key), !v.isEmpty {
                evidence[key] = v
                evidence["\(key) from"] = where_(key)
            } else {
                problems.append("\(key) is not set in \(envDisplay) or the environment")
            }
        }
        let modelName = value("MODEL_NAME")
        if let name = modelName, !name.isEmpty, !Self.isRepoID(name) {
            problems.append("MODEL_NAME '\(name)' \(at("MODEL_NAME")) is not ORG/NAME")
        }
        for key in ["MODEL_FOLDER", "HF_CACHE_FOLDER"] {
            if let v = value(key), !v.isEmpty, !v.hasPrefix("/") {
                problems.append("\(key) '\(v)' \(at(key)) is not an absolute path")
            }
        }
        var seenPorts: [Int: String] = [:]
        var ports: [(key: String, value: String)] = []
        var portIndex: [String: Int] = [:]
        for e in env.entries where e.key.hasSuffix("_PORT") {
            let v = e.value.contains("$") ? (read[e.key]?.value ?? e.value) : e.value
            if let i = portIndex[e.key] { ports[i].value = v } else { portIndex[e.key] = ports.count; ports.append((e.key, v)) }
        }
        for (key, value) in ports {
            guard let port = Int(value), (1...65535).contains(port) else {
                problems.append("\(key) '\(value)' at \(env.entry(key).map { "\(envDisplay):\($0.line)" } ?? envDisplay) is not a port (1-65535)")
                continue
            }
            evidence[key] = value
            if let other = seenPorts[port] { problems.append("\(key) and \(other) both use port \(port)") }
            seenPorts[port] = key
        }
        for key in Self.sizeKeys {
            guard let v = value(key) else { continue }
            if parseByteSize(v) == nil || parseByteSize(v) == 0 {
                problems.append("\(key) '\(v)' \(at(key)) is not a size like 32GB or 128MB")
            } else {
                evidence[key] = v
            }
        }
        if let threads = value("SLLM_NUM_THREAD"), Int(threads).map({ $0 < 1 }) ?? true {
            problems.append("SLLM_NUM_THREAD '\(threads)' \(at("SLLM_NUM_THREAD")) is not a positive integer")
        }
        if !problems.isEmpty {
            return .fail(problems.joined(separator: "; "), evidence: evidence,
                         fix: "edit \(context.display(env.path)) (runbook step 2 shows every key)")
        }
        return .pass("MODEL_NAME=\(modelName ?? ""), folders and \(seenPorts.count) port(s) valid", evidence: evidence)
    }

    /// A pre-baked node needs the model's name and a volume path; its folders are the volume's.
    func prebaked(_ context: RunbookFacts) -> CheckResult {
        var problems: [String] = []
        var evidence = Evidence()
        let from = context.env.map { "\(context.display($0.path)) or the environment" } ?? "the pod's environment"
        if let name = context.modelName {
            evidence["MODEL_NAME"] = name
            if !Self.isRepoID(name) { problems.append("MODEL_NAME '\(name)' is not ORG/NAME") }
        } else {
            problems.append("MODEL_NAME is not set in \(from)")
        }
        if let raw = context.variable("MODEL_VOLUME"), !raw.hasPrefix("/") {
            problems.append("MODEL_VOLUME '\(raw)' is not an absolute path")
        }
        evidence["MODEL_VOLUME"] = "\(context.modelVolume) (\(context.modelVolumeFrom))"
        for key in ["HF_HOME", "HF_HUB_CACHE"] { if let v = context.variable(key) { evidence[key] = v } }
        if !problems.isEmpty {
            return .fail(problems.joined(separator: "; "), evidence: evidence,
                         fix: "set MODEL_NAME (and MODEL_VOLUME when the volume is not at \(RunbookLayout.defaultModelVolume)) in the pod's env")
        }
        return .pass("MODEL_NAME=\(context.modelName ?? ""), model volume \(context.modelVolume)", evidence: evidence)
    }

    static func isRepoID(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        return parts.allSatisfy { p in
            !p.isEmpty && p.first != "." && p.first != "-" && p.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
        }
    }
}
