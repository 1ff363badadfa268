import DoctorCore
import SystemProbes
import Runbook
import Basics

/// What the snapshot checks share, each read once per run: the driver and GPUs, CRIU's version,
/// the image's metadata, the server's arguments.
extension RunbookFacts {
    var snapshotDriver: GPUDriverFacts.Outcome {
        memoized("snapshot driver") { GPUDriverFacts.query(commands, procVersion: hostPath(GPUDriverFacts.procVersionPath)) }
    }

    /// The CRIU the launcher would run: SLLM_CRIU from this process's environment (where
    /// vllm_snapshot reads it), else criu on PATH.
    var criuCommand: Result<CRIUCommand, CRIUCommand.Invalid> {
        memoized("criu command") { [self] in CRIUCommand.choose(environment: processEnvironment) }
    }

    /// `--version` of that CRIU; an unreadable SLLM_CRIU is `.failed` with its reason.
    var criuVersion: CRIUVersion.Outcome {
        memoized("criu version") { [self] () -> CRIUVersion.Outcome in
            switch criuCommand {
            case .failure(let invalid): return .failed(invalid.description)
            case .success(let command): return CRIUVersion.query(commands, command: command.argv)
            }
        }
    }

    /// The running kernel's release (under --host-root when given); nil with why it is unknown.
    var kernelRelease: (release: KernelRelease?, source: String) {
        memoized("kernel release") { [self] () -> (KernelRelease?, String) in
            let path = hostPath(KernelRelease.osreleasePath)
            guard let text = FileFacts.readSmall(path) else { return (nil, "cannot read \(path): \(FileFacts.readFailure(path))") }
            guard let release = KernelRelease.parse(text) else {
                return (nil, "\(path): '\(text.trimmingSpaces(newlines: true).prefix(40))', expected a release such as 6.18.44")
            }
            return (release, path)
        }
    }

    /// CRIU's CUDA plugin: in CRIU's own plugin folder (CR_PLUGIN_DEFAULT), then where
    /// `make install` puts it; each folder with what is there, for evidence.
    var criuCUDAPlugin: (found: [String], evidence: Evidence) {
        memoized("criu cuda plugin") { [self] () -> ([String], Evidence) in
            var evidence = Evidence()
            var found: [String] = []
            for folder in [SnapshotCUDAPluginCheck.defaultFolder, SnapshotCUDAPluginCheck.localFolder] {
                let path = hostPath(FileFacts.join(folder, SnapshotCUDAPluginCheck.plugin))
                let facts = FileFacts.facts(path)
                let isFile = facts.exists && !facts.isDirectory
                evidence[folder] = isFile ? "\(SnapshotCUDAPluginCheck.plugin), \(formatBytes(facts.size))" : "no \(SnapshotCUDAPluginCheck.plugin)"
                if isFile { found.append(folder) }
            }
            return (found, evidence)
        }
    }

    /// Where a program would be found on the PATH the checks run with.
    func onPath(_ program: String) -> String? { ChildProcess.resolve(program, path: processEnvironment["PATH"]) }

    /// Where a variable was set, for messages: `.env:7`, or the environment.
    func place(of key: String) -> String {
        if let entry = env?.entries.last(where: { $0.key == key && !$0.value.isEmpty }) { return "\(display(envFilePath)):\(entry.line)" }
        return "the environment"
    }

    var snapshotMetadataPath: String { FileFacts.join(snapshotFolder.path, SnapshotImageMetadata.fileName) }

    /// The image's metadata; nil when there is no image yet.
    var snapshotMetadata: Result<SnapshotImageMetadata, SnapshotImageMetadata.Invalid>? {
        memoized("snapshot metadata") { [self] () -> Result<SnapshotImageMetadata, SnapshotImageMetadata.Invalid>? in
            let path = snapshotMetadataPath
            guard FileFacts.facts(path, follow: false).exists else { return nil }
            do throws(SnapshotImageMetadata.Invalid) { return .success(try SnapshotImageMetadata.load(path)) } catch { return .failure(error) }
        }
    }

    /// The vLLM version the server would run: its Python's package metadata (no vLLM import).
    /// The Python is VLLM_PYTHON, else python3 on PATH.
    var vllmVersionHere: (version: String?, why: String) {
        memoized("vllm version") { [self] in
            let python = variable("VLLM_PYTHON") ?? "python3"
            let argv = [python, "-c", "import importlib.metadata as m; print(m.version('vllm'))"]
            switch commands.run(argv, timeout: 5) {
            case .failure(let e): return (nil, "\(e)")
            case .success(let out):
                let line = out.stdout.split(separator: "\n").last.map { $0.trimmingSpaces(newlines: true) } ?? ""
                if out.status == 0, !line.isEmpty, line.count < 64 { return (line, "\(python)'s vllm package") }
                return (nil, out.timedOut ? "\(python) did not answer within 5 s" : "\(python) has no vllm package")
            }
        }
    }
}
