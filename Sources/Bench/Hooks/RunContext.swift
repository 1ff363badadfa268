import Foundation
import SystemProbes
import Basics

/// One run as it goes: the variant, its record, what the launcher will be given, and the
/// bench around it (plan, environment, progress). Hooks read and write the run through it.
public final class RunContext {
    /// The variant as planned.
    public let variant: Variant
    /// The variant as its server is started (a hook may fill in a flag, as the KV-cache knob does).
    public var started: Variant
    public let index: Int
    public var record: RunRecord
    /// When the run began: progress lines show the time since.
    public let since = Date()
    /// What the launcher gets besides the variant; hooks add to it in `willStart`.
    public var request: LaunchRequest
    /// GPU processes that were there before the start: the stop does not wait for them.
    var gpuBefore: Set<Int> = []
    let bench: BenchRunner

    init(_ v: Variant, _ i: Int, bench: BenchRunner) {
        variant = v; started = v; index = i; self.bench = bench
        record = RunRecord(variant: v.name, run: i)
        request = LaunchRequest(baseEnvironment: bench.env.processEnvironment, extraEnv: bench.serverEnv, compose: bench.env.compose)
    }

    public var plan: BenchPlan { bench.plan }
    public var env: BenchEnvironment { bench.env }
    public var interrupted: Bool { bench.interrupt.isSet }
    /// The environment a helper bench starts for this variant gets (a template, a fresh server).
    public var helperEnvironment: [String: String] {
        var environment = env.processEnvironment
        if case .command(_, let venv, _) = variant.launch { for (k, x) in venv { environment[k] = x } }
        for (k, x) in bench.serverEnv { environment[k] = x }
        return environment
    }

    /// A progress line with the time since the run began and the ETA.
    public func log(_ phase: String, since start: Date? = nil) {
        bench.progress.step(variant, index, phase, since: start ?? since)
    }

    public func say(_ line: String) { bench.progress.say(line) }

    /// Fails the run; `stopBench`: no later run can go on either (bench reports partial results).
    /// False, so a hook's `prepare` can return it.
    @discardableResult
    public func fail(_ why: String, cause: String? = nil, stopBench: Bool = false) -> Bool {
        record.outcome = .failed
        if let cause { record.cause = cause }
        record.diagnosis = why
        if stopBench { bench.stoppedEarly = why }
        return false
    }

    /// The run, failed: for a step that ends it.
    func failed(_ why: String, cause: String? = nil) -> RunContext { fail(why, cause: cause); return self }

    /// Bench stops after this run, for the reason given (the engine went away).
    public func stopBench(_ why: String) { bench.stoppedEarly = why }

    /// A run's log file (nil without a log folder).
    public func logPath(run: Int? = nil) -> String? { bench.logPath(variant, run ?? index) }
}
