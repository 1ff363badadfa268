import Foundation
@testable import DoctorCore
import Checks
import SystemProbes

/// Test fixtures folder (Tests/Fixtures).
let fixturesDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures").path

func fixture(_ name: String) -> String { fixturesDir + "/" + name }

/// A temporary folder removed when the value goes away.
final class TempDir: @unchecked Sendable {
    let path: String
    init(_ label: String = "t") {
        let base = FileManager.default.temporaryDirectory.path + "/sllm-doctor-\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = FileFacts.canonicalPath(base)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ relative: String, _ text: String, mode: Int? = nil) -> String {
        let full = path + "/" + relative
        try! FileManager.default.createDirectory(atPath: FileFacts.parent(of: full), withIntermediateDirectories: true)
        try! text.write(toFile: full, atomically: true, encoding: .utf8)
        if let mode { chmod(full, mode_t(mode)) }
        return full
    }

    func mkdir(_ relative: String) -> String {
        let full = path + "/" + relative
        try! FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }

    func bytes(_ relative: String, count: Int) -> String {
        let full = path + "/" + relative
        try! FileManager.default.createDirectory(atPath: FileFacts.parent(of: full), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: full, contents: Data(repeating: 7, count: count))
        return full
    }
}

/// Runs a shell command for test setup; returns (status, output).
@discardableResult
func sh(_ script: String) -> (Int32, String) {
    let result = SystemCommandRunner().run(["/bin/sh", "-c", script + " 2>&1"], timeout: 120)
    switch result {
    case .success(let o): return (o.status, o.stdout)
    case .failure(let e): return (-1, "\(e)")
    }
}

var isRoot: Bool { geteuid() == 0 }

/// Writes an HF cache entry for `repo` under `hub`: refs/main, a snapshot with symlinks into
/// blobs/, config.json and the named shards (with an index when there are several).
@discardableResult
func makeHFCache(hub: String, repo: String, shards: [String] = ["model.safetensors"], omit: [String] = []) -> String {
    let model = hub + "/models--" + repo.replacingOccurrences(of: "/", with: "--")
    let hash = "8afb486c1db24fe5011ec46dfbe5b5dccdb575c2"
    let snap = model + "/snapshots/" + hash
    let fm = FileManager.default
    try! fm.createDirectory(atPath: snap, withIntermediateDirectories: true)
    try! fm.createDirectory(atPath: model + "/refs", withIntermediateDirectories: true)
    try! fm.createDirectory(atPath: model + "/blobs", withIntermediateDirectories: true)
    try! (hash + "\n").write(toFile: model + "/refs/main", atomically: true, encoding: .utf8)
    var files = ["config.json": "{\"model_type\":\"llama\"}"]
    for s in shards { files[s] = String(repeating: "w", count: 1000) }
    if shards.count > 1 {
        let map = shards.enumerated().map { "\"layer.\($0.offset)\": \"\($0.element)\"" }.joined(separator: ",")
        files["model.safetensors.index.json"] = "{\"metadata\":{\"total_size\":\(shards.count * 1000)},\"weight_map\":{\(map)}}"
    }
    for (name, content) in files where !omit.contains(name) {
        let blob = model + "/blobs/" + String(name.hashValue.magnitude)
        try! content.write(toFile: blob, atomically: true, encoding: .utf8)
        try! fm.createSymbolicLink(atPath: snap + "/" + name, withDestinationPath: "../../blobs/" + String(name.hashValue.magnitude))
    }
    return snap
}

/// A complete (or broken) ServerlessLLM store layout.
func makeStore(modelFolder: String, repo: String, ranks: Int = 1, emptyData: Bool = false, noIndex: Bool = false) {
    let dir = modelFolder + "/vllm/" + repo
    let fm = FileManager.default
    try! fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try! "{}".write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
    for r in 0..<ranks {
        let rd = dir + "/rank_\(r)"
        try! fm.createDirectory(atPath: rd, withIntermediateDirectories: true)
        if !noIndex { try! "{}".write(toFile: rd + "/tensor_index.json", atomically: true, encoding: .utf8) }
        fm.createFile(atPath: rd + "/tensor.data_0", contents: emptyData ? Data() : Data(repeating: 1, count: 4096))
    }
}

/// Runs the whole catalogue on a context and returns results by id.
func runChecks(_ context: CheckContext, only: [String] = []) throws -> [String: CheckReport] {
    let reports = try CheckRunner(checks: allChecks).run(context, selection: Selection(only: only))
    return Dictionary(uniqueKeysWithValues: reports.map { ($0.id, $0) })
}

/// A runbook repo in a temp dir: .env with folders inside the temp dir.
func makeRunbook(_ tmp: TempDir, extraEnv: String = "", token: String? = nil) -> String {
    let models = tmp.mkdir("nvme/sllm-models")
    let cache = tmp.mkdir("nvme/hf-cache")
    var env = """
    MODEL_FOLDER=\(models)
    HF_CACHE_FOLDER=\(cache)
    MODEL_NAME=meta-llama/Llama-3.1-8B-Instruct
    MEM_POOL_SIZE=32GB
    VLLM_BASELINE_PORT=18001
    VLLM_FASTSTART_PORT=18082
    SLLM_CHUNK_SIZE=128MB

    """
    if let token { env += "HUGGINGFACE_HUB_TOKEN=\(token)\n" }
    env += extraEnv
    tmp.write("repo/.env", env, mode: 0o600)
    return tmp.path + "/repo"
}
