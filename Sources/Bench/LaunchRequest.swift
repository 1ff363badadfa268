import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// What every launcher gets besides the variant: the environment bench passes on and what
/// bench started for it (the compose CLI, the variant's template).
public struct LaunchRequest: Sendable {
    public var baseEnvironment: [String: String]
    public var extraEnv: [String: String]
    public var compose: ComposeCLI?
    public var template: TemplateHost?
    public var onLine: (@Sendable (TimedLine) -> Void)?

    public init(baseEnvironment: [String: String], extraEnv: [String: String] = [:], compose: ComposeCLI? = nil,
                template: TemplateHost? = nil, onLine: (@Sendable (TimedLine) -> Void)? = nil) {
        self.baseEnvironment = baseEnvironment; self.extraEnv = extraEnv; self.compose = compose
        self.template = template; self.onLine = onLine
    }

    /// The environment a command variant's server gets: bench's, the variant's, then bench's own settings.
    public func environment(variant: [String: String]) -> [String: String] {
        var environment = baseEnvironment
        for (k, x) in variant { environment[k] = x }
        for (k, x) in extraEnv { environment[k] = x }
        return environment
    }
}
