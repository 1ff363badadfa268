import Basics
import Foundation
import Runbook
import SystemProbes

/// One bench from a loaded plan to its files: where the results go, the servers' environment,
/// the compose command, the watchdog, the runs, the results JSON with its charts and README
/// rows, and the terminal's report. The command line loads the plan, runs the preflight and
/// hands the rest to `run`: three calls from `bench --plan` to a README row.
public struct BenchJob: Sendable {
    public var plan: BenchPlan
    public var root: String
    /// Where the results files go (absolute).
    public var resultsDir: String
    public var readme: String
    public var mode: BenchMode
    /// The time stamp in the results files' names (`yyyyMMdd_HHmmss`, UTC).
    public var stamp: String
    public var processEnvironment: [String: String]
    public var commands: CommandRunning
    public var redact: Redactor
    /// The binary the watchdog runs (this one), nil: no watchdog.
    public var watchdogExecutable: String?

    public init(plan: BenchPlan, root: String, resultsDir: String, readme: String, mode: BenchMode, stamp: String,
                processEnvironment: [String: String], commands: CommandRunning, redact: Redactor, watchdogExecutable: String?) {
        self.plan = plan; self.root = root; self.resultsDir = resultsDir; self.readme = readme; self.mode = mode; self.stamp = stamp
        self.processEnvironment = processEnvironment; self.commands = commands; self.redact = redact
        self.watchdogExecutable = watchdogExecutable
    }

    /// What a finished bench hands back: the terminal's report, the results JSON, whether every run was ok.
    public struct Outcome: Sendable {
        public var report: String
        public var jsonText: String
        public var allOK: Bool
    }

    /// Runs the bench. Throws (`OutputFileError`) before any server starts when an output
    /// cannot be written; `progress` gets each line as it happens.
    public func run(interrupt: InterruptFlag, progress: @escaping (String) -> Void) throws -> Outcome {
        let paths = BenchPaths(resultsDir: resultsDir, mode: mode, stamp: stamp, readme: readme)
        try FileManager.default.createDirectory(atPath: paths.dir, withIntermediateDirectories: true)
        // The README's place is bench's own (<root>/benchmarks), also when the results go elsewhere.
        try FileManager.default.createDirectory(atPath: FileFacts.parent(of: readme), withIntermediateDirectories: true)
        if let problem = BenchOutputs.outputProblem(paths, explore: plan.explore) { throw problem }
        var plan = self.plan
        var env = BenchEnvironment(processEnvironment: processEnvironment, commands: commands, logDir: paths.logs)
        env.redact = redact
        if plan.usesCompose {
            env.compose = ComposeCLI.detect(environment: processEnvironment, commands: commands)
            plan.composeLabel = env.compose?.label
            progress("compose: \(env.compose?.label ?? "none found")")
        }
        // Whatever ends bench (even SIGKILL), the watchdog stops the servers it left.
        if let executable = watchdogExecutable {
            switch Watchdog.start(executable: executable) {
            case .success(let w): env.watchdog = w
            case .failure(let e): progress("sllm-doctor: warning: no watchdog (\(e)): servers may outlive bench if it is killed")
            }
        }
        defer { env.watchdog?.finish() }
        let session = BenchSession(plan: plan, env: env, host: BenchHost.probe(root: root, commands: commands))
        let results = session.run(interrupt: interrupt, progress: progress)
        let written = try BenchOutputs.write(results, to: paths, redact: redact)
        return Outcome(report: BenchOutputs.terminalReport(written.document, paths: paths, readme: written.readme),
                       jsonText: written.jsonText, allOK: results.allOK)
    }
}
