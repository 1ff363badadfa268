import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// Starts a plan's `compose:` service through the host's compose CLI.
final class ComposeLauncher: ServerLauncher, @unchecked Sendable {
    // Sendable by hand: its hooks are used from the runner's one thread.
    /// Which variants' offline flags were proven (once per variant, on its first start).
    let offline = OfflineProof()
    /// Its runs' hooks: the old container removed, the offline flags proven, the engine watched.
    func hooks(for v: Variant) -> [any RunHook] {
        guard case .compose(_, let service, _, let container, _) = v.launch else { return [] }
        return [ComposeCleanup(container: container), offline, EngineCheck(service: service)]
    }

    func takes(_ v: Variant) -> Bool { if case .compose = v.launch { return true }; return false }
    func start(_ v: Variant, _ request: LaunchRequest) throws -> ServerHandle {
        guard case .compose(let file, let service, let profile, let container, let envFile) = v.launch else { throw LaunchError("\(v.name): not a compose service") }
        guard let cli = request.compose else {
            throw LaunchError("no compose command (docker compose v2 or docker-compose v1) to start \(service)")
        }
        return try ComposeServer(cli: cli, file: file, service: service, profile: profile, container: container, envFile: envFile,
                                 environment: request.environment(variant: [:]), onLine: request.onLine)
    }
}
