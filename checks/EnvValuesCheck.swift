import DoctorCore

/// The variables the runbook needs are set and well-formed.
public struct EnvValuesCheck: Check {
    public let id = "env.values"
    public let title = "required variables set, typed values valid"
    public let dependsOn = ["env.file"]
    public init() {}

    static let required = ["MODEL_FOLDER", "HF_CACHE_FOLDER", "MODEL_NAME"]
    static let sizeKeys = ["MEM_POOL_SIZE", "SLLM_CHUNK_SIZE"]

    public func run(_ context: CheckContext) throws -> CheckResult {
        if context.usingRunbookDefaults {
            var evidence = Evidence()
            for (k, v) in RunbookDefaults.values { evidence[k] = v }
            return .pass("no .env: the runbook's defaults stand in (MODEL_NAME=\(RunbookDefaults["MODEL_NAME"]!); -v lists all)", evidence: evidence)
        }
        guard let env = context.env else { return .skip("no .env") }
        var problems: [String] = []
        var evidence = Evidence()
        func where_(_ key: String) -> String {
            env.entry(key).map { "\(context.display(env.path)):\($0.line)" } ?? context.display(env.path)
        }
        for key in Self.required {
            if let v = env[key], !v.isEmpty { evidence[key] = v } else { problems.append("\(key) is not set in \(context.display(env.path))") }
        }
        if let name = env["MODEL_NAME"], !name.isEmpty, !Self.isRepoID(name) {
            problems.append("MODEL_NAME '\(name)' at \(where_("MODEL_NAME")) is not ORG/NAME")
        }
        for key in ["MODEL_FOLDER", "HF_CACHE_FOLDER"] {
            if let v = env[key], !v.isEmpty, !v.hasPrefix("/") {
                problems.append("\(key) '\(v)' at \(where_(key)) is not an absolute path")
            }
        }
        var seenPorts: [Int: String] = [:]
        for (key, value) in context.portVariables {
            guard let port = Int(value), (1...65535).contains(port) else {
                problems.append("\(key) '\(value)' at \(where_(key)) is not a port (1-65535)")
                continue
            }
            evidence[key] = value
            if let other = seenPorts[port] { problems.append("\(key) and \(other) both use port \(port)") }
            seenPorts[port] = key
        }
        for key in Self.sizeKeys {
            guard let v = env[key] else { continue }
            if parseByteSize(v) == nil || parseByteSize(v) == 0 {
                problems.append("\(key) '\(v)' at \(where_(key)) is not a size like 32GB or 128MB")
            } else {
                evidence[key] = v
            }
        }
        if let threads = env["SLLM_NUM_THREAD"], Int(threads).map({ $0 < 1 }) ?? true {
            problems.append("SLLM_NUM_THREAD '\(threads)' at \(where_("SLLM_NUM_THREAD")) is not a positive integer")
        }
        if !problems.isEmpty {
            return .fail(problems.joined(separator: "; "), evidence: evidence,
                         fix: "edit \(context.display(env.path)) (runbook step 2 shows every key)")
        }
        return .pass("MODEL_NAME=\(env["MODEL_NAME"] ?? ""), folders and \(seenPorts.count) port(s) valid", evidence: evidence)
    }

    static func isRepoID(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        return parts.allSatisfy { p in
            !p.isEmpty && p.first != "." && p.first != "-" && p.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
        }
    }
}
