import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// Create MODEL_FOLDER and HF_CACHE_FOLDER, owned by the person running the benchmark
/// (`SUDO_USER` under sudo), as the runbook's `mkdir -p` + `chown -R` does.
public struct FoldersAction: FixAction {
    public let id = "folders"
    public let repairs = "storage.folders"
    public init() {}

    public func plan(_ context: RunbookFacts, _ o: FixOptions) throws -> FixStep {
        let folders = context.storageFolders
        guard !folders.isEmpty else { return .notApplicable("MODEL_FOLDER / HF_CACHE_FOLDER not set in \(context.envFilePath)") }
        let user = context.user
        var steps: [String] = []
        var needsRoot = false
        for (key, path) in folders {
            let f = FileFacts.facts(path)
            if f.exists && !f.isDirectory { return .refuse("\(key) \(path) exists and is not a folder") }
            if !f.exists {
                steps.append("mkdir -p \(path) (\(key))")
                if !parentWritable(path) { needsRoot = true }
            }
            if !f.exists || f.ownerUID != user.uid {
                steps.append("chown \(user.name) \(path)")
                if user.uid != getuid() || (f.exists && f.ownerUID != getuid()) { needsRoot = true }
            }
        }
        if steps.isEmpty { return .nothingToDo("both folders exist and belong to \(user.name)") }
        return .change(steps, needsRoot: needsRoot && !InvokingUser.isRoot)
    }

    func parentWritable(_ path: String) -> Bool {
        var p = FileFacts.parent(of: path)
        while !FileFacts.exists(p) && p != "/" { p = FileFacts.parent(of: p) }
        return FileFacts.isWritable(p)
    }

    public func apply(_ context: RunbookFacts, _ o: FixOptions) throws -> [String] {
        var done: [String] = []
        let user = context.user
        for (_, path) in context.storageFolders {
            if !FileFacts.exists(path) {
                var created: [String] = []
                var p = path
                while !FileFacts.exists(p) && p != "/" { created.append(p); p = FileFacts.parent(of: p) }
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                // Every folder we created belongs to the user, not only the last one.
                for c in created { chown(c, user.uid, user.gid) }
                done.append("created \(path)")
            }
            if FileFacts.facts(path).ownerUID != user.uid {
                guard chown(path, user.uid, user.gid) == 0 else {
                    throw FixError("chown \(user.name) \(path): \(String(cString: strerror(errno)))")
                }
                done.append("chown \(user.name) \(path)")
            }
        }
        return done
    }
}
