import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// Starts a plan's `command:` as a child process.
struct ProcessLauncher: ServerLauncher {
    func takes(_ v: Variant) -> Bool { if case .command = v.launch { return !v.template }; return false }
    func start(_ v: Variant, _ request: LaunchRequest) throws -> ServerHandle {
        guard case .command(let argv, let env, let cwd) = v.launch else { throw LaunchError("\(v.name): not a command") }
        let line = Launcher.commandLine(v, argv: argv, env: env, request)
        return try ProcessServer(argv: line.argv, environment: line.environment, cwd: cwd, onLine: request.onLine)
    }
}
