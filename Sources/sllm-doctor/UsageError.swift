import Bench
import DoctorCore
import Fleet
import ModelSynth
import Repair
import Startup
import SystemProbes
import Runbook
import Basics

/// The user asked for something that cannot be done as asked: exit 2 with one line. The
/// libraries throw their own typed errors; this is the one place that decides which of them
/// are the user's to fix; `RunFailure` names those that failed at run time (exit 1).
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }

    /// The library errors that are usage errors, as one line; nil for any other error.
    static func from(_ error: any Error) -> UsageError? {
        switch error {
        case let e as UsageError: e
        case let e as PlanError: UsageError(e.description)
        case let e as ExploreError: UsageError(e.description)
        case let e as SynthError: UsageError(e.description)
        case let e as StartupInputError: UsageError(e.description)
        case let e as FixError: UsageError(e.description)
        case let e as SelectionError: UsageError(e.description)
        case let e as FleetInputError: UsageError(e.description)
        case let e as OutputFileError: UsageError(e.description)
        default: nil
        }
    }
}
