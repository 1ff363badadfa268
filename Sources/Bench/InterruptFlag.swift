import DoctorCore
import Foundation
import ServerClient
import Startup
import SystemProbes
import Runbook
import Basics

/// Set from a signal handler; checked between every step. Stopping the server in flight is
/// the runner's job, so nothing is left behind.
public final class InterruptFlag: @unchecked Sendable {
    // Sendable by hand: guarded by `lock`.
    private let lock = NSLock()
    private var set = false
    private var current: ServerHandle?
    public init() {}
    public var isSet: Bool { lock.lock(); defer { lock.unlock() }; return set }
    public func trigger() {
        lock.lock(); set = true; let server = current; lock.unlock()
        _ = server?.stop(grace: 5)
    }
    func track(_ s: ServerHandle?) { lock.lock(); current = s; lock.unlock() }
}
