import Foundation
@testable import DoctorCore
import Checks
@testable import SystemProbes
@testable import Runbook
@testable import Basics

/// Test fixtures folder (Tests/Fixtures).
public let fixturesDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures").path

public func fixture(_ name: String) -> String { fixturesDir + "/" + name }

/// A temporary folder removed when the value goes away.
public final class TempDir: @unchecked Sendable {
    public let path: String
    public init(_ label: String = "t") {
        let base = FileManager.default.temporaryDirectory.path + "/sllm-doctor-\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = FileFacts.canonicalPath(base)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    public func write(_ relative: String, _ text: String, mode: Int? = nil) -> String {
        let full = path + "/" + relative
        try! FileManager.default.createDirectory(atPath: FileFacts.parent(of: full), withIntermediateDirectories: true)
        // Close-on-exec, then renamed into place: a child that a parallel test forks at this
        // moment must not keep the file open for writing, or exec'ing it (a stand-in tool)
        // fails with "Text file busy" (seen under load).
        let temp = full + ".tmp-\(UUID().uuidString.prefix(8))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode ?? 0o644))
        precondition(fd >= 0, "cannot write \(temp)")
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            precondition(n > 0, "cannot write \(temp)")
            done += n
        }
        close(fd)
        if let mode { chmod(temp, mode_t(mode)) }
        precondition(rename(temp, full) == 0, "cannot rename \(temp)")
        return full
    }

    public func mkdir(_ relative: String) -> String {
        let full = path + "/" + relative
        try! FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }

    public func bytes(_ relative: String, count: Int) -> String {
        let full = path + "/" + relative
        try! FileManager.default.createDirectory(atPath: FileFacts.parent(of: full), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: full, contents: Data(repeating: 7, count: count))
        return full
    }
}

/// Runs a shell command for test setup; returns (status, output).
@discardableResult
public func sh(_ script: String) -> (Int32, String) {
    let result = SystemCommandRunner().run(["/bin/sh", "-c", script + " 2>&1"], timeout: 120)
    switch result {
    case .success(let o): return (o.status, o.stdout)
    case .failure(let e): return (-1, "\(e)")
    }
}

public var isRoot: Bool { geteuid() == 0 }

/// Writes an HF cache entry for `repo` under `hub`: refs/main, a snapshot with symlinks into
/// blobs/, config.json and the named shards (with an index when there are several).
@discardableResult
public func makeHFCache(hub: String, repo: String, shards: [String] = ["model.safetensors"], omit: [String] = []) -> String {
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
public func makeStore(modelFolder: String, repo: String, ranks: Int = 1, emptyData: Bool = false, noIndex: Bool = false) {
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

/// Runs a profile's whole catalogue on a context and returns results by id.
public func runChecks(_ context: RunbookFacts, profile: CheckProfile = .standard, only: [String] = []) throws -> [String: CheckReport] {
    let reports = try CheckRunner(checks: catalogue(for: profile), checkTimeout: context.options.checkTimeout)
        .run(context, selection: Selection(only: only))
    return Dictionary(uniqueKeysWithValues: reports.map { ($0.id, $0) })
}

/// A runbook repo in a temp dir: .env with folders inside the temp dir.
public func makeRunbook(_ tmp: TempDir, extraEnv: String = "", token: String? = nil) -> String {
    let models = tmp.mkdir("nvme/sllm-models")
    let cache = tmp.mkdir("nvme/hf-cache")
    var env = """
    MODEL_FOLDER=\(models)
    HF_CACHE_FOLDER=\(cache)
    MODEL_NAME=meta-llama/Llama-3.1-8B-Instruct
    MEM_POOL_SIZE=32GB
    VLLM_BASELINE_PORT=\(freePort())
    VLLM_FASTSTART_PORT=\(freePort())
    SLLM_CHUNK_SIZE=128MB

    """
    if let token { env += "HUGGINGFACE_HUB_TOKEN=\(token)\n" }
    env += extraEnv
    tmp.write("repo/.env", env, mode: 0o600)
    return tmp.path + "/repo"
}

public let fakeServer = FileFacts.parent(of: fixturesDir) + "/Standins/fake_vllm.py"

/// A free TCP port on loopback (bound, then released).
public func freePort() -> Int { PortReservations.shared.reserve() }

/// Ports handed to test servers stay bound (not listening) by this process until it exits:
/// a port closed before its server binds it can be taken by a parallel test, another test
/// process or a client's ephemeral port, and a stopped server's port could then answer again.
/// SO_REUSEADDR on the reservation lets a server that sets it too (the stand-ins, Python's
/// HTTP servers) bind and listen there; connecting while none listens is refused at once.
public final class PortReservations: @unchecked Sendable {
    public static let shared = PortReservations()
    // Sendable by hand: `held` is only touched under `lock`.
    private let lock = PosixLock()
    private var held: [Int32] = []

    public func reserve() -> Int {
        // Close-on-exec: a server or engine this process spawns must not hold the port after it.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        precondition(fd >= 0, "socket: \(errno)")
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        // Bound first without SO_REUSEADDR, so the kernel picks a port nobody holds at all.
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }
        precondition(bound == 0, "bind: \(errno)")
        var len = size
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        lock.lock(); held.append(fd); lock.unlock()
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// The fake server's own record of what it did (JSON lines).
public struct ServerEvents {
    public let path: String
    public init(path: String) { self.path = path }
    public func all() -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
    public func time(_ event: String, nth: Int = 0) -> Date? {
        let matches = all().filter { $0["event"] as? String == event }
        guard matches.count > nth, let t = matches[nth]["t"] as? Double else { return nil }
        return Date(timeIntervalSince1970: t)
    }
    /// Waits on the file, not on the clock alone: returns as soon as the event is there.
    public func waitFor(_ event: String, timeout: TimeInterval = 20) -> Date? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let t = time(event) { return t }
            usleep(5_000)
        }
        return nil
    }
}

public func processGone(_ pid: Int32, timeout: TimeInterval = 5) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let state = stat?.split(separator: ")").last?.split(separator: " ").first
        if stat == nil || state == "Z" { return true }
        usleep(10_000)
    }
    return false
}

extension ISO8601DateFormatter {
    public nonisolated(unsafe) static let withFraction: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
}

/// The built `sllm-doctor` next to the test bundle.
public var doctorBinary: String {
    let exe = FileFacts.readLink("/proc/self/exe") ?? ""
    var dir = FileFacts.parent(of: exe)
    while !FileFacts.isFile(dir + "/sllm-doctor") && dir != "/" && dir != "." { dir = FileFacts.parent(of: dir) }
    return dir + "/sllm-doctor"
}

public func doctor(_ args: [String], env extra: [String: String] = [:], cwd: String? = nil, timeout: TimeInterval = 60) -> CommandOutput {
    var env = ProcessInfo.processInfo.environment
    for (k, v) in extra { env[k] = v }
    let child = try! ChildProcess([doctorBinary] + args, environment: env, workingDirectory: cwd)
    let status = child.wait(timeout: timeout) ?? child.terminate(grace: 1).status
    child.drainOutput()
    let out = child.output
    return CommandOutput(status: status, stdout: out.filter { $0.stream == .stdout }.map(\.text).joined(separator: "\n"),
                         stderr: out.filter { $0.stream == .stderr }.map(\.text).joined(separator: "\n"), timedOut: false)
}

/// A loop device over a fresh image file, detached (and unmounted) in teardown.
public final class LoopDisk: @unchecked Sendable {
    public let tmp = TempDir("loop")
    public let image: String
    public let device: String
    public var mountPoints: [String] = []

    public init(sizeMiB: Int = 64, format: Bool = false) throws {
        image = tmp.path + "/disk.img"
        FileManager.default.createFile(atPath: image, contents: nil)
        truncate(image, off_t(sizeMiB) << 20)
        if format { _ = sh("mkfs.ext4 -F -q \(image)") }
        let (rc, out) = sh("losetup -f --show \(image)")
        guard rc == 0 else { throw SetupError("losetup: \(out)") }
        device = out.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    deinit {
        for m in mountPoints.reversed() { _ = sh("umount \(m)") }
        _ = sh("umount \(device); losetup -d \(device)")
    }
}

public func sha256OfTree(_ dir: String) -> String {
    sh("cd \(dir) && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum").1
}


public struct SetupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// The private engine `scripts/with-test-docker.sh` started for this test run (nil: none).
public enum TestDocker {
    public static var host: String? { ProcessInfo.processInfo.environment["SLLM_TEST_DOCKER_HOST"] }
    public static var image: String { ProcessInfo.processInfo.environment["SLLM_TEST_IMAGE"] ?? "sllm-doctor-test:bookworm" }
    /// CI sets SLLM_REQUIRE_DOCKER=1: there a missing engine is a failure, not a skip.
    public static var required: Bool { ProcessInfo.processInfo.environment["SLLM_REQUIRE_DOCKER"] == "1" }
    public static var available: Bool { host != nil || required }
    public static var skipReason: String {
        "no private Docker engine (\(ProcessInfo.processInfo.environment["SLLM_TEST_DOCKER_SKIP"] ?? "run through `make test` as root, which starts one")): docker tests skipped"
    }
    /// The environment a doctor run gets to reach that engine.
    public static var env: [String: String] { ["DOCKER_HOST": host ?? "unix:///nonexistent.sock"] }

    @discardableResult
    public static func docker(_ args: String) -> (Int32, String) { sh("DOCKER_HOST=\(host ?? "") docker \(args)") }
}

/// A second Docker engine of a test's own, for tests that stop the engine under bench
/// (the shared one must keep serving the other tests). Same flags as scripts/with-test-docker.sh;
/// the test image is imported from the tarball that script cached.
public final class ThrowawayDockerEngine: @unchecked Sendable {
    public let dir: TempDir
    public let host: String
    public private(set) var engine: ChildProcess?

    public init() throws {
        dir = TempDir("engine")
        host = "unix://\(dir.path)/docker.sock"
        let tarball = ProcessInfo.processInfo.environment["SLLM_TEST_IMAGE_TAR"] ?? "/var/cache/sllm-doctor/bookworm-python3.tar"
        guard FileFacts.isFile(tarball) else { throw SetupError("no cached test image at \(tarball)") }
        engine = try ChildProcess(["dockerd", "--host", host, "--data-root", dir.path + "/data", "--exec-root", dir.path + "/exec",
                                   "--pidfile", dir.path + "/pid", "--bridge=none", "--iptables=false", "--ip-masq=false"],
                                  environment: ProcessInfo.processInfo.environment)
        let deadline = Date().addingTimeInterval(30)
        while docker("version").0 != 0 {
            guard Date() < deadline else { throw SetupError("the throwaway dockerd did not answer in 30 s") }
            usleep(100_000)
        }
        let (rc, out) = docker("import \(tarball) \(TestDocker.image)")
        guard rc == 0 else { throw SetupError("docker import failed: \(out)") }
    }

    @discardableResult
    public func docker(_ args: String) -> (Int32, String) { sh("DOCKER_HOST=\(host) docker \(args)") }

    /// Stops the engine as `systemctl stop docker` would (SIGTERM), waiting for it to exit.
    public func stop() {
        guard let engine else { return }
        kill(engine.pid, SIGTERM)
        if engine.wait(timeout: 30) == nil { _ = engine.terminate(grace: 1) }
        self.engine = nil
    }

    deinit {
        if engine != nil { docker("ps -aq | xargs -r env DOCKER_HOST=\(host) docker rm -f"); stop() }
        sh("umount \(dir.path)/data/overlay2/*/merged \(dir.path)/exec/netns/* 2>/dev/null; true")
    }
}

/// Property-test input from a grammar's pieces: even draws are pieces strung together at
/// random (up to `maxPieces`), odd ones are `valid` with up to two pieces spliced in, so both
/// garbage and near-misses of a real document are tried.
public func grammarSample(_ draw: Int, valid: String, pieces: [String], maxPieces: Int, using rng: inout some RandomNumberGenerator) -> String {
    if draw % 2 == 0 {
        return (0..<Int.random(in: 0...maxPieces, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }
    var text = valid
    for _ in 0..<Int.random(in: 0...2, using: &rng) {
        let at = text.index(text.startIndex, offsetBy: Int.random(in: 0...text.count, using: &rng))
        text.insert(contentsOf: pieces.randomElement(using: &rng)!, at: at)
    }
    return text
}

/// A seeded generator (SplitMix64), so a failing random case can be replayed.
public struct SplitMix: RandomNumberGenerator {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
