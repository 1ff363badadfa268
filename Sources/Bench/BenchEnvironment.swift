import DoctorCore
import Foundation
import ServerClient
import Startup
import SystemProbes
import Runbook
import Basics

public struct BenchEnvironment: Sendable {
    public var processEnvironment: [String: String]
    public var commands: CommandRunning
    public var isRoot: Bool
    public var logDir: String?
    /// Masks tokens in the captured server logs, as in every other output.
    public var redact = Redactor(secrets: [])
    public var gpuPollTimeout: TimeInterval = 60
    /// Stops what bench started if bench itself dies (nil: no watchdog, e.g. in library tests).
    public var watchdog: Watchdog?
    /// The compose command compose variants start with (nil: none found).
    public var compose: ComposeCLI?
    public init(processEnvironment: [String: String] = ProcessInfo.processInfo.environment,
                commands: CommandRunning = SystemCommandRunner(), isRoot: Bool = InvokingUser.isRoot, logDir: String? = nil) {
        self.processEnvironment = processEnvironment; self.commands = commands; self.isRoot = isRoot; self.logDir = logDir
    }
}
