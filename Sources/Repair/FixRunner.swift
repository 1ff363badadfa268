import Checks
import DoctorCore
import Foundation
import SystemProbes

/// Plans every selected action, then (unless dry-run) applies them in order and proves each
/// repair by running the check it repairs again on a fresh context.
public struct FixRunner: Sendable {
    public var actions: [any FixAction]
    public var makeContext: @Sendable () -> CheckContext
    public init(actions: [any FixAction] = allFixActions, makeContext: @escaping @Sendable () -> CheckContext) {
        self.actions = actions; self.makeContext = makeContext
    }

    public struct Planned: Sendable {
        public var action: String
        public var repairs: String
        public var step: FixStep
    }

    public struct Applied: Sendable {
        public var action: String
        public var done: [String]
        public var verification: CheckReport?
        public var error: String?
    }

    public func selected(_ only: [String]) throws -> [any FixAction] {
        let unknown = only.filter { id in !actions.contains { $0.id == id } }
        if !unknown.isEmpty {
            throw FixError("--only: unknown action(s) \(unknown.joined(separator: ", ")) (expected: \(actions.map(\.id).joined(separator: ", ")))")
        }
        return actions.filter { only.isEmpty || only.contains($0.id) }
    }

    public func plan(_ options: FixOptions) throws -> [Planned] {
        let context = makeContext()
        var planned: [Planned] = []
        var mountWillChange = false
        for action in try selected(options.only) {
            var step: FixStep
            do { step = try action.plan(context, options) } catch { step = .refuse("\(error)") }
            if action.id == "mount", case .change = step { mountWillChange = true }
            // Folders under a mount point that is about to be mounted are judged after it is.
            if action.id == "folders", mountWillChange, let mp = options.mountPoint,
               context.storageFolders.contains(where: { FileFacts.isWithin($0.path, mp) }) {
                step = .change(context.storageFolders.map { "mkdir -p \($0.path) and chown \(context.user.name) (after mounting \(mp))" })
            }
            planned.append(Planned(action: action.id, repairs: action.repairs, step: step))
        }
        return planned
    }

    /// Applies planned changes. `confirm` is asked for steps that destroy data (unless --yes).
    public func apply(_ plan: [Planned], options: FixOptions, confirm: (String) -> Bool,
                      progress: (Applied) -> Void) -> [Applied] {
        var results: [Applied] = []
        for p in plan {
            guard case .change = p.step, let action = actions.first(where: { $0.id == p.action }) else { continue }
            // Re-plan on the current state: an earlier action (the mount) may have changed it.
            let context = makeContext()
            var applied = Applied(action: p.action, done: [])
            do {
                let step = try action.plan(context, options)
                switch step {
                case .nothingToDo(let why): applied.done = ["nothing to do: \(why)"]
                case .notApplicable(let why): applied.done = ["not applicable: \(why)"]
                case .refuse(let why): applied.error = why
                case .change(_, let needsRoot, let question):
                    if needsRoot && !options.isRoot {
                        applied.error = "needs root"
                    } else if let question, !options.yes && !confirm(question) {
                        applied.error = "not confirmed: \(question)"
                    } else {
                        applied.done = try action.apply(context, options)
                    }
                }
            } catch {
                applied.error = "\(error)"
            }
            if applied.error == nil {
                var verifyOptions = makeContext().options
                if p.action == "mount", verifyOptions.device == nil, let mp = options.mountPoint,
                   let m = try? MountTable().entries.last(where: { $0.target == FileFacts.normalizedPath(mp) }) {
                    verifyOptions.device = m.source
                }
                let fresh = CheckContext(options: verifyOptions, processEnvironment: makeContext().processEnvironment)
                applied.verification = try? CheckRunner(checks: allChecks).run(fresh, selection: Selection(only: [p.repairs])).first
            }
            progress(applied)
            results.append(applied)
        }
        return results
    }
}
