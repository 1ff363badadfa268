import Runbook

/// The numbers a plan or a flag may set, with their ranges: anything else is a usage error
/// naming the key (a NaN timeout or a billion runs would otherwise crash or never end).
public enum PlanNumber {
    public static let runs = 1...1000
    /// Uncounted starts before a variant's first run (`warmup_runs`).
    public static let warmupRuns = 0...10
    public static let readyTimeout: ClosedRange<Double> = 0.1...86_400
    public static let stopGrace: ClosedRange<Double> = 0...3600

    public static func int(_ value: YAMLNode?, key: String, in range: ClosedRange<Int>, at place: String, required: Bool = false) throws -> Int? {
        guard let value else {
            if required { throw PlanError("\(place): expected \(key): \(range.lowerBound)-\(range.upperBound)", key: key) }
            return nil
        }
        guard let n = value.int else {
            throw PlanError("\(place): \(key) must be a whole number \(range.lowerBound)-\(range.upperBound)", key: key)
        }
        guard range.contains(n) else { throw PlanError("\(place): \(key) is \(n): expected \(range.lowerBound)-\(range.upperBound)", key: key) }
        return n
    }

    public static func seconds(_ value: YAMLNode?, key: String, in range: ClosedRange<Double>, at place: String) throws -> Double? {
        guard let value else { return nil }
        let n: Double
        if case .int(let i) = value { n = Double(i) }
        else if case .double(let d) = value { n = d }
        else { throw PlanError("\(place): \(key) must be a number of seconds", key: key) }
        try check(n, key: key, in: range, at: place)
        return n
    }

    public static func check(_ n: Double, key: String, in range: ClosedRange<Double>, at place: String) throws {
        guard n.isFinite, range.contains(n) else {
            throw PlanError("\(place): \(key) is \(n): expected a finite number of seconds, \(fmt(range.lowerBound))-\(fmt(range.upperBound))", key: key)
        }
    }

    static func fmt(_ d: Double) -> String { d == d.rounded() ? String(Int(d)) : String(d) }
}
