import Foundation

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
public struct CheckRunner: Sendable {
    public var checks: [any Check]
    public init(checks: [any Check]) { self.checks = checks }

    public func run(_ context: CheckContext, selection: Selection = Selection()) throws -> [CheckReport] {
        try selection.validate(against: checks.map(\.id))
        let byID = Dictionary(checks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        // Selected checks plus whatever they depend on (run, but only reported if selected).
        var needed = Set<String>()
        func include(_ id: String) {
            guard needed.insert(id).inserted, let c = byID[id] else { return }
            c.dependsOn.forEach(include)
        }
        checks.filter { selection.isSelected($0.id) }.forEach { include($0.id) }

        var results: [String: CheckReport] = [:]
        var remaining = checks.filter { needed.contains($0.id) }
        // Two threads for the whole run, whatever the number of checks and waves.
        var workers = Workers()
        defer { workers.finish() }
        while !remaining.isEmpty {
            // A wave: every check whose prerequisites have all been decided.
            let wave = remaining.filter { c in c.dependsOn.allSatisfy { results[$0] != nil || byID[$0] == nil } }
            guard !wave.isEmpty else {
                for c in remaining {
                    results[c.id] = CheckReport(id: c.id, title: c.title, area: c.area,
                                                result: .fail("dependency cycle among \(remaining.map(\.id).joined(separator: ", "))"))
                }
                break
            }
            remaining.removeAll { c in wave.contains { $0.id == c.id } }
            for report in runWave(wave, context: context, decided: results, workers: &workers) { results[report.id] = report }
        }
        return checks.filter { selection.isSelected($0.id) }.compactMap { c in
            guard var report = results[c.id] else { return nil }
            if report.result.status == .fail && selection.isIgnored(c.id) {
                report.result.status = .warn
                report.result.summary += " (failure ignored by --ignore)"
                report.ignored = true
            }
            return report
        }
    }

    /// Checks that only read files run one after another on a single worker thread (a thread
    /// each would cost more than the checks); checks that may wait on another program
    /// (`mayBlock`) run in order on a second one, so a slow nvidia-smi overlaps the rest. Each is
    /// bounded by the timeout: a stuck check cannot be cancelled, only abandoned with its worker.
    private func runWave(_ wave: [any Check], context: CheckContext, decided: [String: CheckReport], workers: inout Workers) -> [CheckReport] {
        let box = ResultBox()
        var runnable: [any Check] = []
        for check in wave {
            if let blocker = check.dependsOn.first(where: { decided[$0]?.result.status == .fail }) {
                box.put(CheckReport(id: check.id, title: check.title, area: check.area,
                                    result: .skip("needs \(blocker), which failed")))
            } else if let blocker = check.dependsOn.first(where: { decided[$0]?.result.status == .skip }) {
                box.put(CheckReport(id: check.id, title: check.title, area: check.area,
                                    result: .skip("needs \(blocker), which was skipped")))
            } else {
                runnable.append(check)
            }
        }
        let timeout = context.options.checkTimeout
        func job(_ check: any Check, _ done: DispatchSemaphore) -> @Sendable () -> Void {
            return {
                let started = Date()
                let result: CheckResult
                do { result = try check.run(context) } catch { result = .fail("check raised an error: \(error)") }
                box.putIfAbsent(CheckReport(id: check.id, title: check.title, area: check.area, result: result,
                                            durationMs: Date().timeIntervalSince(started) * 1000))
                done.signal()
            }
        }
        func timedOut(_ check: any Check) {
            box.putIfAbsent(CheckReport(id: check.id, title: check.title, area: check.area,
                                        result: .fail("timed out after \(timeout) s"), durationMs: timeout * 1000))
        }
        // Each queue goes to its worker at once (no hand-off per check), programs first: they
        // run on their own thread while the files are read. The checks are then awaited in
        // order, each with the timeout from the end of the one before it; a stuck one is
        // abandoned with its worker, and the rest of its queue goes on on a fresh one.
        func submit(_ checks: [any Check], to worker: CheckWorker) -> [(any Check, DispatchSemaphore)] {
            let queued = checks.map { ($0, DispatchSemaphore(value: 0)) }
            for (c, d) in queued { worker.submit(job(c, d)) }
            return queued
        }
        func awaitInOrder(_ queued: [(any Check, DispatchSemaphore)], _ worker: inout CheckWorker) {
            var pending = queued[...]
            while let (check, done) = pending.first {
                pending = pending.dropFirst()
                if done.wait(timeout: .now() + timeout) == .timedOut {
                    timedOut(check)
                    worker.abandon()
                    worker = CheckWorker()
                    pending = submit(Array(pending.map(\.0)), to: worker)[...]
                }
            }
        }
        let programChecks = runnable.filter(\.mayBlock), fileChecks = runnable.filter { !$0.mayBlock }
        let programs = programChecks.isEmpty ? [] : submit(programChecks, to: workers.programs)
        if !fileChecks.isEmpty { awaitInOrder(submit(fileChecks, to: workers.files), &workers.files) }
        if !programs.isEmpty { awaitInOrder(programs, &workers.programs) }
        return box.all
    }
}

/// The runner's two workers, each started the first time a check needs it.
private struct Workers {
    private var filesWorker: CheckWorker?
    private var programsWorker: CheckWorker?
    var files: CheckWorker {
        mutating get { if let w = filesWorker { return w }; let w = CheckWorker(); filesWorker = w; return w }
        set { filesWorker = newValue }
    }
    var programs: CheckWorker {
        mutating get { if let w = programsWorker { return w }; let w = CheckWorker(); programsWorker = w; return w }
        set { programsWorker = newValue }
    }
    func finish() { filesWorker?.finish(); programsWorker?.finish() }
}

/// One thread running jobs in order. `abandon` leaves a stuck job behind: its thread exits
/// when (if ever) the job returns.
private final class CheckWorker: @unchecked Sendable {
    // Sendable by hand: `jobs` and `open` are guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var open = true

    init() { Thread.detachNewThread { [self] in loop() } }

    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock(); jobs.append(job); condition.signal(); condition.unlock()
    }

    func finish() { condition.lock(); open = false; condition.signal(); condition.unlock() }
    /// Drops the queued jobs (they will run elsewhere) and lets the thread end after its current one.
    func abandon() { condition.lock(); jobs.removeAll(); open = false; condition.signal(); condition.unlock() }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && open { condition.wait() }
            if jobs.isEmpty { condition.unlock(); return }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}

private final class ResultBox: @unchecked Sendable {
    // Sendable by hand: guarded by `lock`.
    private let lock = NSLock()
    private var reports: [String: CheckReport] = [:]
    func put(_ r: CheckReport) { lock.lock(); reports[r.id] = r; lock.unlock() }
    func putIfAbsent(_ r: CheckReport) { lock.lock(); if reports[r.id] == nil { reports[r.id] = r }; lock.unlock() }
    var all: [CheckReport] { lock.lock(); defer { lock.unlock() }; return Array(reports.values) }
}
