import Foundation
import SystemProbes

/// A host without the tools bench calls beside the server (nvidia-smi, docker): each command
/// is not found at once, so a run waits for no GPU and restarts no store.
public struct NoTools: CommandRunning {
    public init() {}
    public func run(_ argv: [String], timeout: TimeInterval) -> Result<CommandOutput, ProcessError> {
        .failure(.notFound(argv.first ?? ""))
    }
}
