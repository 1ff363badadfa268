import Foundation
import SystemProbes

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
