import Foundation
import SystemProbes
import Basics

/// The runbook's facts about one host: its `.env`, compose file, folders, token keys, the
/// compose and Docker engine answers, read through probes that can point at a live host or at
/// captured state (`--mountinfo`, `--device`, `--root`). Each is read once, when first asked,
/// whoever asks (the checks, repairs, bench's plan). It knows nothing of checks: the check
/// framework runs over it as its context.
public final class RunbookFacts: Sendable {
    /// Every name huggingface_hub reads a token from (the legacy HUGGING_FACE_HUB_TOKEN included).
    public static let secretKeys = ["HUGGINGFACE_HUB_TOKEN", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"]
    public static let runbookContainers = ["vllm_baseline", "vllm_faststart", "sllm_store", "convert_model"]

    public struct Options: Sendable {
        public var root: String
        public var envFile: String?
        public var mountinfo: String?
        public var device: String?
        public var offline: Bool
        /// Sources that count as "the fast disk" when no `--device` is named.
        public var expectedDevicePrefix: String
        public var checkTimeout: TimeInterval
        /// A captured /sys/block (nil: the live one, unless the mount table is captured).
        public var sysBlock: String?
        /// A captured udev database folder (/run/udev/data).
        public var udevData: String?
        /// Without a `.env`, judge with the runbook's defaults (`check` does; `fix` and `bench`
        /// act on the user's own values only).
        public var runbookDefaults: Bool
        /// `check --deep`: checks may run slower tools to cross-check (the compose CLI).
        public var deep = false
        /// Where the model files live: the runbook's folders, or a pre-baked model volume.
        public var layout: RunbookLayout
        /// A captured host tree (`check --host-root`): the snapshot checks read /proc and CRIU's
        /// plugin folders under it instead of /.
        public var hostRoot: String? = nil

        public init(root: String = FileManager.default.currentDirectoryPath, envFile: String? = nil,
                    mountinfo: String? = nil, device: String? = nil, offline: Bool = false,
                    expectedDevicePrefix: String = "/dev/nvme", checkTimeout: TimeInterval = 5,
                    sysBlock: String? = nil, udevData: String? = nil, runbookDefaults: Bool = false,
                    layout: RunbookLayout = .folders) {
            self.root = root; self.envFile = envFile; self.mountinfo = mountinfo; self.device = device
            self.offline = offline; self.expectedDevicePrefix = expectedDevicePrefix; self.checkTimeout = checkTimeout
            self.sysBlock = sysBlock; self.udevData = udevData; self.runbookDefaults = runbookDefaults
            self.layout = layout
        }
    }

    public let options: Options
    public let root: String
    public let envFilePath: String
    public let processEnvironment: [String: String]
    public let commands: CommandRunning

    // Read when a check first asks (once per run), not before the run: the two workers then
    // parse the .env, the mount table and the user's name side by side.
    /// The parsed `.env`, or why it could not be read.
    public var envFile: Result<EnvFile, EnvLoadError> {
        memo.value("env file") { [self] in Self.loadEnv(envFilePath) }
    }
    public var mountTable: Result<MountTable, MountTableError> {
        memo.value("mount table") { [self] in
            let path = options.mountinfo ?? MountTable.livePath
            do { return .success(try MountTable(path: path)) }
            catch let e as MountTableError { return .failure(e) }
            catch { return .failure(.cannotRead(path: path, reason: "\(error)")) }
        }
    }
    public var user: InvokingUser {
        memo.value("user") { [self] in InvokingUser.current(environment: processEnvironment) }
    }

    /// Read with a bound (a regular file, a size cap, a deadline): a FIFO or `/dev/zero` named
    /// as `.env` must not hang or grow `check`, and a broken link is not "no .env".
    static func loadEnv(_ envPath: String) -> Result<EnvFile, EnvLoadError> {
        do { return .success(EnvFile.parse(try BoundedRead.text(envPath, limit: EnvFile.sizeLimit), path: envPath)) }
        catch { return .failure(EnvLoadError(path: envPath, reason: error.reason, missing: error.isMissing, cause: error)) }
    }

    public struct EnvLoadError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        /// No file at all (as opposed to one this user may not read, a directory or a broken link).
        public var missing = false
        public var cause: InputReadError? = nil
        public var description: String { "\(path): \(reason)" }

        /// What to do about it: only absence is answered with "create it".
        public var fix: String {
            switch cause {
            case .permissionDenied?: "sudo sllm-doctor check (or let this user read it: sudo chown $USER \(path))"
            case .danglingLink?, .linkLoop?: "point the link \(path) at your .env file (ls -l \(path)), or replace it with the file itself"
            case .notRegularFile?, .tooLarge?, .invalidUTF8?: "make \(path) a regular text file of KEY=value lines (the runbook's step 2), or pass --env-file PATH"
            case .timedOut?: "the filesystem holding \(path) did not answer: copy the file to a local disk, or pass --env-file PATH"
            default: "check the file, or pass --env-file PATH"
            }
        }
    }

    public init(options: Options, processEnvironment: [String: String] = ProcessEnvironment.current(),
                commands: CommandRunning? = nil) {
        self.options = options
        self.root = FileFacts.canonicalPath(options.root)
        self.processEnvironment = processEnvironment
        let envPath = options.envFile.map { $0.hasPrefix("/") ? $0 : FileFacts.join(FileFacts.canonicalPath("."), $0) }
            ?? FileFacts.join(root, ".env")
        self.envFilePath = envPath
        self.commands = commands ?? SystemCommandRunner(environment: processEnvironment)
    }

    // MARK: - The runbook's variables

    public var env: EnvFile? { try? envFile.get() }

    /// No `.env` at the root and none named: the host is judged with the runbook's step-2
    /// values instead (an `--env-file` that is missing is the caller's usage error).
    public var usingRunbookDefaults: Bool {
        guard options.runbookDefaults, options.envFile == nil, case .failure(let e) = envFile else { return false }
        return e.missing
    }

    /// A variable as the benchmark scripts see it: `.env` first, then the process environment,
    /// then (without a `.env`) the runbook's default.
    public func variable(_ key: String) -> String? {
        guard let r = reading(key) else { return nil }
        // A `$` that cannot be worked out: the text as written (env.values names the failure).
        guard let v = r.value else { return r.written }
        return v.isEmpty ? nil : v
    }

    /// The one reading of a runbook variable, with its source: `.env` (a non-empty entry, read
    /// as `readAs` reads it, by default the first of `dotEnvReadings`), else the process
    /// environment, else (without a `.env`) the runbook's default. Every check reads through it.
    public func reading(_ key: String, readAs read: [String: DotEnvDialect.Assignment]? = nil) -> RunbookVariable? {
        if let entry = env?.entry(key), !entry.value.isEmpty {
            let source = RunbookVariable.Source.dotEnv(line: entry.line)
            // What compose and a shell make of it: `${ROOT:-/nvme}/models` is a path.
            guard entry.value.contains("$"), let a = (read ?? dotEnvReadings.first?.values)?[key] else {
                return RunbookVariable(key: key, value: entry.value, written: entry.value, source: source)
            }
            return RunbookVariable(key: key, value: a.value, written: entry.value,
                                   failure: a.value == nil ? (a.failure ?? "no value") : nil, source: source)
        }
        if let v = processEnvironment[key], !v.isEmpty {
            return RunbookVariable(key: key, value: v, written: v, source: .environment)
        }
        guard usingRunbookDefaults, let v = RunbookDefaults[key] else { return nil }
        return RunbookVariable(key: key, value: v, written: v, source: .runbookDefault)
    }

    public var modelFolder: String? { variable("MODEL_FOLDER").map(absolute) }
    public var hfCacheFolder: String? { variable("HF_CACHE_FOLDER").map(absolute) }
    public var modelName: String? { variable("MODEL_NAME") }

    /// The folders the runbook puts on the NVMe (pre-baked: the model volume).
    public var storageFolders: [(key: String, path: String)] {
        if options.layout == .modelVolume { return [("MODEL_VOLUME", modelVolume)] }
        return [("MODEL_FOLDER", modelFolder), ("HF_CACHE_FOLDER", hfCacheFolder)].compactMap { k, v in v.map { (k, $0) } }
    }

    /// Offline mode: `--offline`, the flag set in the environment the benchmark would inherit,
    /// or common.env forcing it on every container.
    public var offline: Bool { offlineSource != nil }

    /// Where offline mode comes from, in words (nil: online).
    public var offlineSource: String? {
        if options.offline { return "--offline" }
        for key in offlineFlagNames where isTruthyFlag(processEnvironment[key]) { return "\(key)=\(processEnvironment[key]!) in the environment" }
        if let flag = commonEnvOffline { return "\(describe(forced: flag)), which every container reads" }
        return nil
    }

    /// The first offline flag common.env turns on, if any, its values read as compose reads
    /// them (`forcedOfflineFlags`; read once).
    public var commonEnvOffline: (assignment: DotEnvDialect.Assignment, dialect: DotEnvDialect)? {
        memoized("common.env offline") { [self] in
            guard FileFacts.isFile(commonEnvPath), let file = try? EnvFile.load(path: commonEnvPath) else { return nil }
            return forcedOfflineFlags(commonEnvText: file.source).first
        }
    }

    /// Blocks devices on this host (or in the captured /sys/block); nil when the mount table is
    /// another host's and no /sys/block was captured with it. Read once.
    public var blockDevices: [BlockDevice]? {
        memoized("block devices") { [self] in
            if let dir = options.sysBlock { return BlockDevices.list(sysBlock: dir) }
            return options.mountinfo == nil ? BlockDevices.list() : nil
        }
    }

    // MARK: - Model files, read once per run (several checks ask the same questions)

    /// The HF cache entry of MODEL_NAME, where the servers will look for it, and what it holds.
    public var hfModel: (hub: (path: String, from: String), model: HFCacheModel, finding: HFCacheModel.Finding, declaredBytes: UInt64?)? {
        memo.value("hf") { [self] in
            guard let name = modelName else { return nil }
            let hub = resolveHubDir(self)
            let model = HFCacheModel(hubDir: hub.path, repo: name)
            let (finding, declared) = model.inspectWithDeclaredBytes()
            return (hub, model, finding, declared)
        }
    }

    /// The ServerlessLLM Store conversion of MODEL_NAME under MODEL_FOLDER, and its state.
    public var storeModel: (store: StoreModel, finding: StoreModel.Finding)? {
        memo.value("store") { [self] in
            guard let folder = modelFolder, let name = modelName else { return nil }
            let store = StoreModel(modelFolder: folder, modelName: name)
            return (store, store.inspect())
        }
    }
    private let memo = Memo()
    /// A value computed once per context (per `check` run), whichever check asks first.
    public func memoized<T>(_ key: String, _ make: () -> T) -> T { memo.value(key, make) }

    public var commonEnvPath: String { FileFacts.join(root, "vllm_bridge/env/common.env") }
    public var composePath: String { FileFacts.join(root, "vllm_bridge/docker-compose.yml") }

    /// Benchmark ports from `.env` (name → port text).
    public var portVariables: [(key: String, value: String)] {
        if usingRunbookDefaults { return RunbookDefaults.values.filter { $0.key.hasSuffix("_PORT") } }
        let read = dotEnvReadings.first?.values
        return (env?.entries ?? []).filter { $0.key.hasSuffix("_PORT") }.reduce(into: [(String, String)]()) { acc, e in
            let value = e.value.contains("$") ? (read?[e.key]?.value ?? e.value) : e.value
            if let i = acc.firstIndex(where: { $0.0 == e.key }) { acc[i].1 = value } else { acc.append((e.key, value)) }
        }
    }

    /// Values that must never be printed.
    public var secretValues: [String] {
        var values: [String] = []
        for key in Self.secretKeys {
            for e in env?.entries ?? [] where e.key == key && !e.value.isEmpty { values.append(e.value) }
            if let v = processEnvironment[key], !v.isEmpty { values.append(v) }
        }
        return values
    }

    /// Absolute and without `.` or `..`. A `..` is applied after the links before it are
    /// followed (as the kernel does); a path without `..` keeps its links, as the user wrote it.
    public func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileFacts.join(root, path)
        return full.split(separator: "/").contains("..") ? FileFacts.canonicalPath(full) : FileFacts.normalizedPath(full)
    }

    /// A relative display form for files in the repo.
    public func display(_ path: String) -> String {
        // Root "/" (a container's working folder) has no separator of its own to drop.
        FileFacts.isWithin(path, root) && path != root ? String(path.dropFirst(root == "/" ? 1 : root.count + 1)) : path
    }
}
