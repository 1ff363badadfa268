import Basics

public struct SelectionError: Error, CustomStringConvertible {
    public var flag: String
    public var unknown: [String]
    public var known: [String]
    public var description: String {
        "\(flag): unknown check id(s) \(unknown.joined(separator: ", ")) (expected ids from `sllm-doctor check --list`, an area such as storage, or all)"
    }
}

/// Which checks to run and how to treat their failures (`--only`, `--skip`, `--ignore`).
public struct Selection: Sendable {
    public var only: [String] = []
    public var skip: [String] = []
    public var ignore: [String] = []
    public init(only: [String] = [], skip: [String] = [], ignore: [String] = []) {
        self.only = only; self.skip = skip; self.ignore = ignore
    }

    /// `storage` selects every `storage.*` check; `all` selects everything.
    static func matches(_ pattern: String, _ id: String) -> Bool {
        pattern == "all" || pattern == id || id.hasPrefix(pattern + ".")
    }

    public func validate(against ids: [String]) throws {
        for (flag, patterns) in [("--only", only), ("--skip", skip), ("--ignore", ignore)] {
            let unknown = patterns.filter { p in !ids.contains { Self.matches(p, $0) } }
            if !unknown.isEmpty { throw SelectionError(flag: flag, unknown: unknown, known: ids) }
        }
    }

    func isSelected(_ id: String) -> Bool {
        (only.isEmpty || only.contains { Self.matches($0, id) }) && !skip.contains { Self.matches($0, id) }
    }

    func isIgnored(_ id: String) -> Bool { ignore.contains { Self.matches($0, id) } }
}

/// Runs checks: prerequisites first, each bounded by a timeout; a check that throws or times
/// out becomes a failure and the rest still run.
public struct CheckRunner<Context: Sendable>: Sendable {
    public var checks: [any Check<Context>]
    /// Seconds a check may run before it fails as timed out.
    public var checkTimeout: Double
    public init(checks: [any Check<Context>], checkTimeout: Double) {
        self.checks = checks; self.checkTimeout = checkTimeout
    }

    public func run(_ context: Context, selection: Selection = Selection()) throws -> [CheckReport] {
        try selection.validate(against: checks.map(\.id))
        let byID = Dictionary(checks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        // Selected checks plus whatever they depend on (run, but only reported if selected).
        var needed = Set<String>()
        func include(_ id: String) {
            guard needed.insert(id).inserted, let c = byID[id] else { return }
            c.dependsOn.forEach(include)
        }
        checks.filter { selection.isSelected($0.id) }.forEach { include($0.id) }

        // Prerequisites first; checks caught in a dependency cycle fail at once.
        var ordered: [any Check<Context>] = []
        var cycle: [any Check<Context>] = []
        var placed = Set<String>()
        var remaining = checks.filter { needed.contains($0.id) }
        while !remaining.isEmpty {
            let ready = remaining.filter { c in c.dependsOn.allSatisfy { placed.contains($0) || byID[$0] == nil } }
            guard !ready.isEmpty else { cycle = remaining; break }
            // Within a wave, checks that wait on programs first: a worker takes them at once,
            // and the other goes on with the files meanwhile.
            ordered += ready.filter(\.mayBlock) + ready.filter { !$0.mayBlock }
            ready.forEach { placed.insert($0.id) }
            remaining.removeAll { placed.contains($0.id) }
        }
        let state = RunState<Context>(timeout: checkTimeout)
        for c in cycle {
            state.reports[c.id] = CheckReport(id: c.id, title: c.title, area: c.area,
                                              result: .fail("dependency cycle among \(cycle.map(\.id).joined(separator: ", "))"))
        }
        state.run(ordered, context: context)
        let reports = state.decided()
        return checks.filter { selection.isSelected($0.id) }.compactMap { c in
            guard var report = reports[c.id] else { return nil }
            if report.result.status == .fail && selection.isIgnored(c.id) {
                report.result.status = .warn
                report.result.summary += " (failure ignored by --ignore)"
                report.ignored = true
            }
            return report
        }
    }
}

/// One run's schedule: two worker threads take the checks in order from one queue (a thread
/// per check would cost more than the checks). Checks that may wait on another program
/// (`mayBlock`) come first in each wave, so a slow nvidia-smi holds one worker while the other
/// reads the files. A check waits on its worker for its prerequisites' reports, and is skipped
/// when one failed or was skipped. The caller's thread only watches the clock: a check still
/// running `checkTimeout` seconds after it started fails as timed out; a stuck check cannot be
/// cancelled, so its worker is retired (it ends if the check ever returns) and a fresh one
/// joins. The watcher wakes by its own clock and when the last report is in, not at every
/// check (each such wake-up is a thread switch across CPUs).
private final class RunState<Context: Sendable>: @unchecked Sendable {
    // Sendable by hand: every field is guarded by `condition`'s lock (`watch` shares it).
    let condition = PosixCondition()
    private let watch: PosixCondition
    private let timeout: Double
    private var ordered: [any Check<Context>] = []
    var reports: [String: CheckReport] = [:]
    private var queue: [any Check<Context>] = []
    private var scheduled = Set<String>()
    private var startedAt: [String: Double] = [:]
    private var runningOn: [String: Int] = [:]
    private var retired = Set<Int>()
    private var nextWorker = 0

    static var workers: Int { 2 }

    init(timeout: Double) {
        self.timeout = timeout
        watch = PosixCondition(sharingLockWith: condition)
    }

    func run(_ ordered: [any Check<Context>], context: Context) {
        condition.lock()
        self.ordered = ordered
        queue = ordered
        scheduled = Set(ordered.map(\.id))
        condition.unlock()
        var started = 0
        for _ in 0..<min(Self.workers, ordered.count) where startWorker(context) { started += 1 }
        if started == 0 && !ordered.isEmpty {
            // No thread to be had: in order on this one, without timeouts.
            workerLoop(id: -1, context: context)
            return
        }

        condition.lock()
        defer { condition.unlock() }
        while true {
            let undecided = ordered.filter { reports[$0.id] == nil }
            if undecided.isEmpty { return }
            let now = Monotonic.now()
            // A check that starts after this look has its deadline after now + timeout.
            var nextDeadline = now + timeout
            var retiredOne = false
            for c in undecided {
                guard let began = startedAt[c.id] else { continue }
                if now < began + timeout { nextDeadline = min(nextDeadline, began + timeout); continue }
                reports[c.id] = CheckReport(id: c.id, title: c.title, area: c.area,
                                            result: .fail("timed out after \(timeout) s"), durationMs: timeout * 1000)
                if let worker = runningOn[c.id] { retired.insert(worker) }
                retiredOne = true
            }
            if retiredOne {
                condition.broadcast()
                condition.unlock()
                if !startWorker(context) {
                    // No fresh thread: what is left runs here.
                    workerLoop(id: -1, context: context)
                }
                condition.lock()
                continue
            }
            _ = watch.wait(until: nextDeadline)
        }
    }

    /// After a report is written (lock held): wakes workers waiting on it, and the watcher
    /// when it was the last.
    private func reported() {
        condition.broadcast()
        if ordered.allSatisfy({ reports[$0.id] != nil }) { watch.signal() }
    }

    /// The reports, read under the lock (a retired worker may still be finishing its check).
    func decided() -> [String: CheckReport] { condition.lock(); defer { condition.unlock() }; return reports }

    private func startWorker(_ context: Context) -> Bool {
        condition.lock()
        let id = nextWorker
        nextWorker += 1
        condition.unlock()
        return DetachedThread.start { [self] in workerLoop(id: id, context: context) }
    }

    /// Takes checks from the queue until it is empty (or this worker is retired).
    private func workerLoop(id: Int, context: Context) {
        condition.lock()
        while true {
            if retired.contains(id) || queue.isEmpty { condition.unlock(); return }
            let check = queue.removeFirst()
            // Prerequisites are earlier in the queue: done, or running on the other worker.
            while check.dependsOn.contains(where: { reports[$0] == nil && scheduled.contains($0) }) { condition.wait() }
            if reports[check.id] != nil { continue }
            var skip: CheckResult?
            if let blocker = check.dependsOn.first(where: { reports[$0]?.result.status == .fail }) {
                skip = .skip("needs \(blocker), which failed")
            } else if let blocker = check.dependsOn.first(where: { reports[$0]?.result.status == .skip }) {
                skip = .skip("needs \(blocker), which was skipped")
            }
            if let skip {
                reports[check.id] = CheckReport(id: check.id, title: check.title, area: check.area, result: skip)
                reported()
                continue
            }
            let began = Monotonic.now()
            startedAt[check.id] = began
            runningOn[check.id] = id
            condition.unlock()
            let result: CheckResult
            do { result = try check.run(context) } catch { result = .fail("check raised an error: \(error)") }
            let report = CheckReport(id: check.id, title: check.title, area: check.area, result: result,
                                     durationMs: (Monotonic.now() - began) * 1000)
            condition.lock()
            if reports[check.id] == nil { reports[check.id] = report }
            reported()
        }
    }
}
