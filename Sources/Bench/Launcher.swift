import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// The launchers bench knows, and what they share.
public enum Launcher {
    /// The catalogue of launchers, most specific first; fresh ones per bench, since a launcher
    /// keeps what outlives a run (a template, a snapshot image).
    public static func standard() -> [any ServerLauncher] {
        [SnapshotLauncher(), TemplateLauncher(), ProcessLauncher(), ComposeLauncher()]
    }

    public static var all: [any ServerLauncher] { standard() }

    /// A command variant's argv and environment as its server gets them (a wake variant runs
    /// with sleep mode on).
    static func commandLine(_ v: Variant, argv: [String], env: [String: String], _ request: LaunchRequest) -> (argv: [String], environment: [String: String]) {
        var environment = request.environment(variant: env)
        if v.kind == .wake { environment["VLLM_SERVER_DEV_MODE"] = "1" }
        var args = argv
        if v.kind == .wake && !args.contains("--enable-sleep-mode") && args.first != "/bin/sh" { args.append("--enable-sleep-mode") }
        return (args, environment)
    }
}
