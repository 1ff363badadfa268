import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// A way to start a variant's server. Adding one is one file (the `ServerHandle` and its
/// launcher) and one line in `Launcher.standard()`; the first launcher that takes a variant
/// starts it. A launcher may bring hooks to each run of its variants (clean-up, what it needs
/// started first) and keep what outlives a run until `finish`.
public protocol ServerLauncher: Sendable {
    func takes(_ v: Variant) -> Bool
    func start(_ v: Variant, _ request: LaunchRequest) throws -> ServerHandle
    /// This launcher's steps around each run of `v`.
    func hooks(for v: Variant) -> [any RunHook]
    /// Bench is done: stop what this launcher kept running across runs.
    func finish(_ env: BenchEnvironment)
}

extension ServerLauncher {
    public func hooks(for v: Variant) -> [any RunHook] { [] }
    public func finish(_ env: BenchEnvironment) {}
}
