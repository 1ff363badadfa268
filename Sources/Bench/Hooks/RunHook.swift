import Foundation
import SystemProbes

/// Where a hook acts among the others of a run: hooks act slot by slot, and in the order they
/// were contributed within a slot.
public enum RunHookSlot: Int, Sendable, Comparable {
    /// Removes what an earlier start left behind (a container), before the port is checked.
    case leftovers
    /// The run's clean state: nothing listens on the port.
    case cleanState
    /// The host's state a cold run resets: the page cache, the store's pinned memory.
    case host
    /// What the launcher needs around its start (a template, a snapshot image, the offline proof).
    case launcher
    /// Watchers of the start: compile cache, KV-cache size, a fresh cache folder.
    case observer

    public static func < (a: RunHookSlot, b: RunHookSlot) -> Bool { a.rawValue < b.rawValue }
}

/// One concern of a restart run, contributed by the launcher or by the variant's traits. The
/// loop calls each step of every hook in turn; a hook keeps its own state across runs.
public protocol RunHook: AnyObject {
    var slot: RunHookSlot { get }
    /// Before the start; false (the record says why) when this run cannot go on.
    func prepare(_ run: RunContext) -> Bool
    /// Just before the launcher starts the server: the variant and request as started. A throw
    /// is a failed start ("cannot start: ...").
    func willStart(_ run: RunContext) throws
    /// The server was started; false (the record says why) fails the run before readiness.
    func afterStart(_ run: RunContext, _ server: ServerHandle) -> Bool
    /// After readiness and the first completion, before the stop.
    func afterReady(_ run: RunContext, _ server: ServerHandle)
    /// The server is stopped and the port is free.
    func afterStop(_ run: RunContext, _ server: ServerHandle)
    /// With the server's log: findings, notes and causes into the record.
    func conclude(_ run: RunContext, _ lines: [TimedLine])
    /// After the run was counted (warm-ups too); true when bench must stop here.
    func afterRun(_ run: RunContext) -> Bool
}

extension RunHook {
    public var slot: RunHookSlot { .launcher }
    public func prepare(_ run: RunContext) -> Bool { true }
    public func willStart(_ run: RunContext) throws {}
    public func afterStart(_ run: RunContext, _ server: ServerHandle) -> Bool { true }
    public func afterReady(_ run: RunContext, _ server: ServerHandle) {}
    public func afterStop(_ run: RunContext, _ server: ServerHandle) {}
    public func conclude(_ run: RunContext, _ lines: [TimedLine]) {}
    public func afterRun(_ run: RunContext) -> Bool { false }
}
