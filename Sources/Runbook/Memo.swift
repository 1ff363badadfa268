import Basics

/// Answers computed once per context, shared by the checks (which run on two threads). Each
/// answer has its own lock, so two checks asking for the same one wait for one computation,
/// and checks asking for different ones compute them side by side.
final class Memo: @unchecked Sendable {
    // Sendable by hand: `cells` is only touched under `lock`; each cell guards itself.
    private let lock = PosixLock()
    private var cells: [String: Cell] = [:]

    /// One answer's lock; `Box` holds the answer with its type.
    private class Cell: @unchecked Sendable {
        let lock = PosixLock()
    }

    private final class Box<T>: Cell, @unchecked Sendable {
        var value: T?
    }

    /// A key always names answers of one type (the caller's code names both).
    func value<T>(_ key: String, _ make: () -> T) -> T {
        lock.lock()
        let box: Box<T>
        if let known = cells[key] {
            guard let typed = known as? Box<T> else { preconditionFailure("memo key '\(key)' asked for as two types") }
            box = typed
        } else {
            box = Box<T>(); cells[key] = box
        }
        lock.unlock()
        box.lock.lock(); defer { box.lock.unlock() }
        // `value` is nil until made; a made nil (T optional) is `.some(nil)`.
        if let stored = box.value { return stored }
        let v = make()
        box.value = v
        return v
    }
}
