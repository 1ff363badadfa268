import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// Starts a `template: true` command by forking it from the warm interpreter template.
final class TemplateLauncher: ServerLauncher, @unchecked Sendable {
    // Sendable by hand: its hook is used from the runner's one thread.
    /// The templates, one per Python, started before a run needs one and kept across runs.
    let runs = TemplateRuns()
    func hooks(for v: Variant) -> [any RunHook] { [runs] }
    func finish(_ env: BenchEnvironment) { runs.stopAll(env) }

    func takes(_ v: Variant) -> Bool { if case .command = v.launch { return v.template }; return false }
    func start(_ v: Variant, _ request: LaunchRequest) throws -> ServerHandle {
        guard case .command(let argv, let env, let cwd) = v.launch else { throw LaunchError("\(v.name): not a command") }
        guard let template = request.template else { throw LaunchError("\(v.name) runs from a template, but none was started") }
        let line = Launcher.commandLine(v, argv: argv, env: env, request)
        return try TemplateServer(host: template, argv: line.argv, environment: line.environment, cwd: cwd, onLine: request.onLine)
    }
}
