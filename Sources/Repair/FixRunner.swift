import Checks
import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// Plans every selected action, then (unless dry-run) applies them in order and proves each
/// repair by running the check it repairs again on a fresh context.
public struct FixRunner: Sendable {
    public var actions: [any FixAction]
    public var makeContext: @Sendable () -> RunbookFacts
    public init(actions: [any FixAction] = allFixActions, makeContext: @escaping @Sendable () -> RunbookFacts) {
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
        // A system folder as the mount point is a usage error before anything is planned.
        if let mountPoint = options.mountPoint, let why = MountPointPolicy.refusal(mountPoint, table: try? MountTable()) {
            throw FixError(why)
        }
        let context = makeContext()
        var planned: [Planned] = []
        // An .env that exists but cannot be read is not an .env to create: say so, change nothing
        // that depends on it.
        if case .failure(let e) = context.envFile, !e.missing {
            planned.append(Planned(action: "env", repairs: "env.file", step: .refuse("cannot read \(e.path): \(e.reason)")))
        }
        var mountWillChange = false, mountRefused = false
        for action in try selected(options.only) {
            var step: FixStep
            do { step = try action.plan(context, options) } catch { step = .refuse("\(error)") }
            if action.id == "mount", case .change = step { mountWillChange = true }
            if action.id == "mount", case .refuse = step { mountRefused = true }
            // A refused mount leaves the mount point on the disk below it: folders made there
            // would be on the OS disk now and hidden later.
            if action.id == "folders", mountRefused, let mp = options.mountPoint, case .change = step,
               context.storageFolders.contains(where: { FileFacts.isWithin($0.path, mp) }) {
                step = .refuse("\(mp) is not mounted (see mount above): creating the folders now would put them on the disk below it")
            }
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
        var mountFailed = false
        for p in plan {
            guard case .change = p.step, let action = actions.first(where: { $0.id == p.action }) else { continue }
            // Re-plan on the current state: an earlier action (the mount) may have changed it.
            let context = makeContext()
            var applied = Applied(action: p.action, done: [])
            if p.action == "folders", mountFailed, let mp = options.mountPoint,
               context.storageFolders.contains(where: { FileFacts.isWithin($0.path, mp) }) {
                // Created now, they would land on the OS disk and be hidden by the mount later.
                applied.error = "skipped: \(mp) was not mounted, so the folders would land on the disk below it"
                progress(applied)
                results.append(applied)
                continue
            }
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
            if p.action == "mount" && applied.error != nil { mountFailed = true }
            if applied.error == nil {
                var verifyOptions = makeContext().options
                if p.action == "mount", verifyOptions.device == nil, let mp = options.mountPoint,
                   let m = try? MountTable().entries.last(where: { $0.target == FileFacts.normalizedPath(mp) }) {
                    verifyOptions.device = m.source
                }
                let fresh = RunbookFacts(options: verifyOptions, processEnvironment: makeContext().processEnvironment)
                applied.verification = try? CheckRunner(checks: allChecks, checkTimeout: fresh.options.checkTimeout).run(fresh, selection: Selection(only: [p.repairs])).first
            }
            progress(applied)
            results.append(applied)
        }
        return results
    }
}
