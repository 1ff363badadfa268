import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// Starts a `snapshot:` variant's run: `vllm_snapshot restore` of its image, in the foreground
/// (SIGTERM stops the restored server), its output the restored server's log.
final class SnapshotLauncher: ServerLauncher, @unchecked Sendable {
    // Sendable by hand: its hook is used from the runner's one thread.
    /// The images, made or found before each variant's first run.
    let runs = SnapshotRuns()
    func hooks(for v: Variant) -> [any RunHook] { [runs] }

    func takes(_ v: Variant) -> Bool { v.snapshot != nil }
    func start(_ v: Variant, _ request: LaunchRequest) throws -> ServerHandle {
        guard let spec = v.snapshot, case .command(_, let env, let cwd) = v.launch else { throw LaunchError("\(v.name): not a snapshot variant") }
        guard FileFacts.exists(spec.metadataPath) else {
            throw LaunchError("\(v.name): no image at \(spec.image) (\(SnapshotImageMetadata.fileName) is missing)")
        }
        return try ProcessServer(argv: spec.restoreArgv, environment: spec.environment(request.environment(variant: env)),
                                 cwd: cwd, onLine: request.onLine)
    }
}
