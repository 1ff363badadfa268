import DoctorCore
import SystemProbes
import Runbook
import Basics

/// What the snapshot checks share, each read once per run: the driver and GPUs, CRIU's version,
/// the image's metadata, the server's arguments.
extension CheckContext {
    var snapshotDriver: GPUDriverFacts.Outcome {
        memoized("snapshot driver") { GPUDriverFacts.query(commands, procVersion: hostPath(GPUDriverFacts.procVersionPath)) }
    }

    var criuVersion: CRIUVersion.Outcome { memoized("criu version") { CRIUVersion.query(commands) } }

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
