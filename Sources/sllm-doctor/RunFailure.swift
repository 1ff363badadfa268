import Startup

/// The input was fine and the run failed (a server that dies or never answers, a request
/// that fails): exit 1 with the cause, as a failed check does. `UsageError` keeps exit 2 for
/// what the user must change in the command or its input.
struct RunFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }

    /// The library errors that are run-time failures, as one line; nil for any other error.
    static func from(_ error: any Error) -> RunFailure? {
        switch error {
        case let e as RunFailure: e
        case let e as StartupRunError: RunFailure(e.description)
        default: nil
        }
    }
}
