import DoctorCore
import SystemProbes
import Runbook
import Basics

/// CRIU is there and new enough: the CUDA plugin that lets it dump a CUDA process came in 4.0.
public struct SnapshotCRIUCheck: Check {
    public let id = "snapshot.criu"
    public let title = "CRIU 4.0 or later on PATH"
    public let mayBlock = true
    public init() {}

    static let install = "install CRIU \(CRIUVersion.cudaPlugin) or later (a package of that version, or CRIU built from source with its plugins) and put its folder (often /usr/sbin) on PATH"

    public func run(_ context: CheckContext) throws -> CheckResult {
        var evidence: Evidence = ["minimum": "\(CRIUVersion.cudaPlugin) (the CUDA plugin came in CRIU 4.0)"]
        switch context.criuVersion {
        case .missing:
            evidence["PATH"] = context.processEnvironment["PATH"] ?? "(unset)"
            return .fail("no criu on PATH: no snapshot can be made or restored", evidence: evidence, fix: Self.install)
        case .failed(let why):
            return .fail(why, evidence: evidence, fix: "run criu --version by hand; reinstall CRIU if it does not answer")
        case .ok(let version):
            let path = context.onPath("criu") ?? "criu"
            evidence["criu"] = path
            evidence["version"] = version.text + (version.gitID.map { " (GitID \($0))" } ?? "")
            if version < CRIUVersion.cudaPlugin {
                return .fail("criu \(version) at \(path) is older than \(CRIUVersion.cudaPlugin), the first release with the CUDA plugin",
                             evidence: evidence, fix: Self.install)
            }
            return .pass("criu \(version) at \(path)", evidence: evidence)
        }
    }
}
