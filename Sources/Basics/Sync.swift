#if canImport(Glibc)
import Glibc
#endif

// Locks, a one-shot signal, a worker thread and a monotonic clock on pthreads. `check` is a
// pre-run hook that costs a few milliseconds: Foundation's NSLock, NSCondition, Thread and
// Dispatch's semaphores each set up their classes or libdispatch on first use, which is a
// measurable part of that (see `make perf`).

/// A mutex.
public final class PosixLock: @unchecked Sendable {
    // Sendable by hand: the mutex is the synchronisation.
    fileprivate let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }
    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }
    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock(); defer { unlock() }
        return try body()
    }
}

/// A condition variable with its own mutex, or with another condition's (two sets of waiters
/// on one state, each woken only for its own reason); timed waits use the monotonic clock, so a
/// change of the wall clock cannot stretch or cut them.
public final class PosixCondition: @unchecked Sendable {
    // Sendable by hand: the mutex is the synchronisation.
    private let lockObject: PosixLock
    private let cond: UnsafeMutablePointer<pthread_cond_t>

    public init(sharingLockWith other: PosixCondition? = nil) {
        lockObject = other?.lockObject ?? PosixLock()
        cond = .allocate(capacity: 1)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(cond, &attr)
        pthread_condattr_destroy(&attr)
    }
    deinit {
        pthread_cond_destroy(cond)
        cond.deallocate()
    }
    public func lock() { lockObject.lock() }
    public func unlock() { lockObject.unlock() }
    public func signal() { pthread_cond_signal(cond) }
    public func broadcast() { pthread_cond_broadcast(cond) }
    /// Waits (lock held) until signalled; callers re-check their predicate.
    public func wait() { pthread_cond_wait(cond, lockObject.mutex) }
    /// Waits (lock held) until signalled or until `deadline` (Monotonic seconds); false when
    /// the deadline passed.
    public func wait(until deadline: Double) -> Bool {
        // Beyond what a timespec holds (or NaN): wait without a deadline rather than trap.
        guard deadline.isFinite, deadline < 1e15 else { wait(); return true }
        var ts = timespec()
        let whole = deadline.rounded(.down)
        ts.tv_sec = Int(whole)
        ts.tv_nsec = Int((deadline - whole) * 1_000_000_000)
        return pthread_cond_timedwait(cond, lockObject.mutex, &ts) != ETIMEDOUT
    }
}

/// Signalled once; waiters return at once after that.
public final class Latch: @unchecked Sendable {
    // Sendable by hand: `done` is guarded by `condition`.
    private let condition = PosixCondition()
    private var done = false

    public init() {}

    public func signal() {
        condition.lock(); done = true; condition.broadcast(); condition.unlock()
    }

    /// True when signalled within `timeout` seconds.
    public func wait(timeout: Double) -> Bool {
        let deadline = Monotonic.now() + max(0, timeout)
        condition.lock(); defer { condition.unlock() }
        while !done {
            if !condition.wait(until: deadline) { return done }
        }
        return true
    }
}

/// Seconds on CLOCK_MONOTONIC.
public enum Monotonic {
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1_000_000_000
    }
}

/// A detached thread running `body`.
public enum DetachedThread {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts it; false when the system refused a thread (the caller decides what then).
    @discardableResult
    public static func start(_ body: @escaping @Sendable () -> Void) -> Bool {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            body.run()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}

/// The process environment, read from `environ` (ProcessInfo builds its object and a new
/// dictionary per read); the first value wins for a repeated name, as getenv(3) answers.
public enum ProcessEnvironment {
    public static func current() -> [String: String] {
        var out: [String: String] = [:]
        guard var p = environ as UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? else { return out }
        while let entry = p.pointee {
            let text = String(cString: entry)
            if let eq = text.utf8.firstIndex(of: UInt8(ascii: "=")) {
                let key = String(text[..<eq])
                if out[key] == nil { out[key] = String(text[text.index(after: eq)...]) }
            }
            p += 1
        }
        return out
    }

    /// One variable, without building the dictionary.
    public static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
