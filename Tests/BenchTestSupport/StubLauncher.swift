import Foundation
@testable import Bench

/// A launcher for bench's own logic: each start is a `StubServer` in this process, doing what
/// the test's script says for that variant's nth start. It records what bench asked it to start.
public final class StubLauncher: ServerLauncher, @unchecked Sendable {
    // Sendable by hand: `started` and `servers` are only touched under `lock`.
    public struct Start: Sendable {
        /// The variant as bench started it (a hook may have added a flag).
        public let variant: Variant
        /// The environment its server would get.
        public let environment: [String: String]
        public let at: Date
    }
    private let lock = NSLock()
    private var started: [Start] = []
    private var made: [StubServer] = []
    private let script: @Sendable (Variant, Int) -> StubScript
    private let ownHooks: [any RunHook]

    /// `script(variant, n)`: what the variant's start number `n` (from 0, warm-ups included) does.
    /// `hooks`: hooks this launcher contributes to each run, as a real launcher does.
    public init(hooks: [any RunHook] = [], script: @escaping @Sendable (Variant, Int) -> StubScript = { _, _ in .healthy }) {
        self.script = script; ownHooks = hooks
    }

    public var starts: [Start] { lock.lock(); defer { lock.unlock() }; return started }
    public var servers: [StubServer] { lock.lock(); defer { lock.unlock() }; return made }

    public func takes(_ v: Variant) -> Bool { true }
    public func hooks(for v: Variant) -> [any RunHook] { ownHooks }

    public func start(_ v: Variant, _ request: LaunchRequest) throws -> ServerHandle {
        var env: [String: String] = [:]
        if case .command(_, let e, _) = v.launch { env = e }
        lock.lock()
        let n = started.filter { $0.variant.name == v.name }.count
        started.append(Start(variant: v, environment: request.environment(variant: env), at: Date()))
        lock.unlock()
        let s = script(v, n)
        if let refused = s.refuse { throw refused }
        let server = try StubServer(name: v.name, port: v.port, script: s, onLine: request.onLine)
        lock.lock(); made.append(server); lock.unlock()
        return server
    }
}
