
/// One runbook variable as every reader sees it, and where its value came from: `.env` (read
/// as compose reads it), else the process environment, else (with no `.env`) the runbook's
/// default. `RunbookFacts.reading(_:)` is the one place that decides.
public struct RunbookVariable: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        case dotEnv(line: Int)
        case environment
        case runbookDefault
    }

    public var key: String
    /// The value; nil when `.env` writes it with a `$` that cannot be worked out (`failure`).
    public var value: String?
    /// As written in `.env` (or as found elsewhere).
    public var written: String
    public var failure: String?
    public var source: Source

    public init(key: String, value: String?, written: String, failure: String? = nil, source: Source) {
        self.key = key; self.value = value; self.written = written; self.failure = failure; self.source = source
    }

    /// Where it came from, in words: `.env:3`, `the environment`, `the runbook's default`.
    public func origin(envDisplay: String) -> String {
        switch source {
        case .dotEnv(let line): "\(envDisplay):\(line)"
        case .environment: "the environment"
        case .runbookDefault: "the runbook's default"
        }
    }
}
