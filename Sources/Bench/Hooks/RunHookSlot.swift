import Foundation

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
