import Basics

/// Answers computed once per context, shared by the checks (which run on two threads). Each
/// answer has its own lock, so two checks asking for the same one wait for one computation,
/// and checks asking for different ones compute them side by side.
final class Memo: @unchecked Sendable {
    // Sendable by hand: `cells` is only touched under `lock`; each cell guards itself.
    private let lock = PosixLock()
    private var cells: [String: Cell] = [:]

    private final class Cell: @unchecked Sendable {
        let lock = PosixLock()
        var value: Any?
    }

    func value<T>(_ key: String, _ make: () -> T) -> T {
        lock.lock()
        let cell: Cell
        if let known = cells[key] { cell = known } else { cell = Cell(); cells[key] = cell }
        lock.unlock()
        cell.lock.lock(); defer { cell.lock.unlock() }
        // Unwrap the stored optional first: `nil as? T` succeeds when T is itself optional.
        if let stored = cell.value { return stored as! T }
        let v = make()
        cell.value = v
        return v
    }
}
