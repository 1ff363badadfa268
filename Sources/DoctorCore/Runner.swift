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

/// Runs checks: prerequisites first, independent checks concurrently, each bounded by a
/// timeout; a check that throws or times out becomes a failure and the rest still run.
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
            for report in runWave(wave, context: context, decided: results) { results[report.id] = report }
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

    private func runWave(_ wave: [any Check], context: CheckContext, decided: [String: CheckReport]) -> [CheckReport] {
        let box = ResultBox()
        var waiting: [(any Check, DispatchSemaphore, Date)] = []
        for check in wave {
            if let blocker = check.dependsOn.first(where: { decided[$0]?.result.status == .fail }) {
                box.put(CheckReport(id: check.id, title: check.title, area: check.area,
                                    result: .skip("needs \(blocker), which failed")))
                continue
            }
            if let blocker = check.dependsOn.first(where: { decided[$0]?.result.status == .skip }) {
                box.put(CheckReport(id: check.id, title: check.title, area: check.area,
                                    result: .skip("needs \(blocker), which was skipped")))
                continue
            }
            let done = DispatchSemaphore(value: 0)
            let started = Date()
            // A thread per check: a check stuck in a syscall cannot be cancelled, only abandoned.
            let thread = Thread {
                let result: CheckResult
                do { result = try check.run(context) } catch { result = .fail("check raised an error: \(error)") }
                box.put(CheckReport(id: check.id, title: check.title, area: check.area, result: result,
                                    durationMs: Date().timeIntervalSince(started) * 1000))
                done.signal()
            }
            thread.start()
            waiting.append((check, done, started))
        }
        for (check, done, started) in waiting {
            let deadline = started.addingTimeInterval(context.options.checkTimeout)
            if done.wait(timeout: .now() + max(0, deadline.timeIntervalSinceNow)) == .timedOut {
                box.putIfAbsent(CheckReport(id: check.id, title: check.title, area: check.area,
                                            result: .fail("timed out after \(context.options.checkTimeout) s"),
                                            durationMs: context.options.checkTimeout * 1000))
            }
        }
        return box.all
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
