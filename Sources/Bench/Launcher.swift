import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// A way to start a variant's server. Adding one is one file (the `ServerHandle` and its
/// launcher) and one line in `Launcher.all`; the first launcher that takes a variant starts it.
public protocol ServerLauncher: Sendable {
    func takes(_ v: Variant) -> Bool
    func start(_ v: Variant, _ request: LaunchRequest) throws -> ServerHandle
}

/// What every launcher gets besides the variant: the environment bench passes on and what
/// bench started for it (the compose CLI, the variant's template).
public struct LaunchRequest: Sendable {
    public var baseEnvironment: [String: String]
    public var extraEnv: [String: String]
    public var compose: ComposeCLI?
    public var template: TemplateHost?
    public var onLine: (@Sendable (TimedLine) -> Void)?

    /// The environment a command variant's server gets: bench's, the variant's, then bench's own settings.
    func environment(variant: [String: String]) -> [String: String] {
        var environment = baseEnvironment
        for (k, x) in variant { environment[k] = x }
        for (k, x) in extraEnv { environment[k] = x }
        return environment
    }
}

public enum Launcher {
    /// The catalogue of launchers, most specific first.
    public static let all: [any ServerLauncher] = [SnapshotLauncher(), TemplateLauncher(), ProcessLauncher(), ComposeLauncher()]

    public static func start(_ v: Variant, baseEnvironment: [String: String], extraEnv: [String: String],
                             compose: ComposeCLI? = nil, template: TemplateHost? = nil,
                             onLine: (@Sendable (TimedLine) -> Void)?) throws -> ServerHandle {
        let request = LaunchRequest(baseEnvironment: baseEnvironment, extraEnv: extraEnv, compose: compose, template: template, onLine: onLine)
        guard let launcher = all.first(where: { $0.takes(v) }) else { throw LaunchError("\(v.name): no launcher starts this variant") }
        return try launcher.start(v, request)
    }

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
