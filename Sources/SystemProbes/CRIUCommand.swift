import Basics

/// The CRIU a snapshot launcher runs, chosen by vllm_snapshot's rule
/// (integrations/vllm-snapshot/vllm_snapshot/criu.py): SLLM_CRIU, a command line such as the
/// wrapper scripts/fetch-criu.sh prints, when it is set and not blank; else `criu` on PATH.
/// There is no fallback from one to the other: a wrong SLLM_CRIU is what the launcher runs.
public struct CRIUCommand: Sendable, Equatable {
    public static let variable = "SLLM_CRIU"

    public enum Source: Sendable, Equatable {
        /// SLLM_CRIU, as set.
        case variable(String)
        case path
    }
    /// The words to run, before CRIU's own arguments.
    public var argv: [String]
    public var source: Source

    public static let onPath = CRIUCommand(argv: ["criu"], source: .path)

    /// SLLM_CRIU that is set but cannot be split, or splits into no words.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public var value: String
        public var reason: String
        public var description: String { "\(CRIUCommand.variable)='\(value.prefix(120))': \(reason); expected a command line such as /var/cache/sllm-doctor/criu/criu" }
    }

    public static func choose(environment: [String: String]) -> Result<CRIUCommand, Invalid> {
        guard let given = environment[variable], !given.trimmingSpaces(newlines: true).isEmpty else { return .success(onPath) }
        do throws(ShellWords.Invalid) {
            let words = try ShellWords.split(given)
            guard let first = words.first, !first.isEmpty else { return .failure(Invalid(value: given, reason: "its first word is empty")) }
            return .success(CRIUCommand(argv: words, source: .variable(given)))
        } catch {
            return .failure(Invalid(value: given, reason: error.description))
        }
    }

    /// How it was chosen, for evidence.
    public var why: String {
        switch source {
        case .variable: return "\(Self.variable) is set: vllm_snapshot runs it and looks at no criu on PATH"
        case .path: return "\(Self.variable) is not set: vllm_snapshot runs criu from PATH"
        }
    }
}
