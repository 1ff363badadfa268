import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// What `fix` was asked to do.
public struct FixOptions: Sendable {
    public var mountPoint: String?
    public var device: String?
    public var format = false
    public var persist = false
    public var yes = false
    public var dryRun = false
    public var only: [String] = []
    public var fstabPath = "/etc/fstab"
    /// Mount over a folder that already holds files (they stay on disk, hidden under the mount).
    public var allowNonEmptyMountPoint = false
    public var isRoot = InvokingUser.isRoot
    public init() {}
}

/// One step of the plan, decided before anything changes.
public enum FixStep: Sendable, Equatable {
    case nothingToDo(String)
    /// Changes to make, in words; `needsRoot` and `confirm` gate the apply.
    case change([String], needsRoot: Bool = false, confirm: String? = nil)
    /// Unsafe or impossible: nothing will be done, and why.
    case refuse(String)
    /// This action does not apply here (e.g. no compose file).
    case notApplicable(String)
}

public struct FixError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// A repair for what one check found: plan first (pure), apply second.
public protocol FixAction: Sendable {
    /// Name used with `--only`.
    var id: String { get }
    /// The check this action repairs; it is run again after applying.
    var repairs: String { get }
    func plan(_ context: RunbookFacts, _ options: FixOptions) throws -> FixStep
    /// Applies a `.change` plan; returns what was done, in words.
    func apply(_ context: RunbookFacts, _ options: FixOptions) throws -> [String]
}

/// Every action, in the order they must run: disk before folders on it.
public let allFixActions: [any FixAction] = [
    MountAction(), FoldersAction(), OfflineFlagsAction(), ComposeToggleAction(), StoreCleanupAction(),
]
