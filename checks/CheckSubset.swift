import DoctorCore
import Runbook

/// Named subsets of a profile's checks (Homebrew's doctor keeps such lists): a caller about to
/// do one thing asks for the checks that bear on it, instead of running all of them and
/// turning the irrelevant failures into warnings with `--ignore`.
public enum CheckSubset {
    /// Before bench starts servers: the profile's checks, without the compose CLI's when no
    /// variant starts a compose service (a plan of plain commands never runs compose).
    public static func benchPreflight(_ profile: CheckProfile, usesCompose: Bool) -> [RunbookCheck] {
        let checks = catalogue(for: profile)
        return usesCompose ? checks : checks.filter { !composeOnly.contains($0.id) }
    }

    /// Checks that judge only the compose CLI and file compose runs.
    static let composeOnly: Set<String> = ["runtime.compose"]
}
