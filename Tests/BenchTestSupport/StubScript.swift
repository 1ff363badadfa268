import Foundation
@testable import Bench

/// What one start of a stub server does: when it answers (or ends), what it logs, and how its
/// first completion goes. Times are from the start.
public struct StubScript: Sendable {
    public enum Completion: Sendable, Equatable {
        /// A complete stream: `tokens` token events, the usage object, `[DONE]`.
        case tokens(Int)
        /// `tokens` token events, then the connection closes: no usage, no `[DONE]`.
        case cutOff(after: Int)
        /// An HTTP error status instead of a stream.
        case status(Int)
    }
    /// GET /v1/models answers after this long; nil: never.
    public var readyAfter: TimeInterval?
    /// The server ends (exit status `exitStatus`) after this long; nil: it runs until stopped.
    public var exitAfter: TimeInterval?
    public var exitStatus: Int32 = 1
    /// Lines it logs as it starts (stderr), as vLLM would.
    public var lines: [String] = []
    public var completion: Completion = .tokens(4)
    /// Between two token events (0: all at once, which gives no decode rate).
    public var tokenInterval: TimeInterval = 0
    /// The start itself fails with this (the launcher throws it).
    public var refuse: LaunchError?
    /// A container's environment, as the offline proof reads it (nil: not a container).
    public var containerEnvironment: [String: String]?

    public init(readyAfter: TimeInterval? = 0, exitAfter: TimeInterval? = nil, exitStatus: Int32 = 1, lines: [String] = [],
                completion: Completion = .tokens(4), tokenInterval: TimeInterval = 0, refuse: LaunchError? = nil, containerEnvironment: [String: String]? = nil) {
        self.readyAfter = readyAfter; self.exitAfter = exitAfter; self.exitStatus = exitStatus; self.lines = lines
        self.completion = completion; self.tokenInterval = tokenInterval; self.refuse = refuse; self.containerEnvironment = containerEnvironment
    }

    /// Ready at once, a complete first completion.
    public static let healthy = StubScript()
    /// Ends before ready, having logged `lines`.
    public static func crash(_ lines: [String], status: Int32 = 1) -> StubScript {
        StubScript(readyAfter: nil, exitAfter: 0, exitStatus: status, lines: lines)
    }
}
