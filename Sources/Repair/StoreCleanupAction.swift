import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// Remove a half-finished ServerlessLLM conversion so the next one does not hit
/// FileExistsError; only that folder, only inside MODEL_FOLDER, only with confirmation.
public struct StoreCleanupAction: FixAction {
    public let id = "store-cleanup"
    public let repairs = "model.store"
    public init() {}

    func target(_ context: RunbookFacts) -> Result<String, FixError>? {
        guard let folder = context.modelFolder, let name = context.modelName else { return nil }
        let store = StoreModel(modelFolder: folder, modelName: name)
        guard case .incomplete = store.inspect() else { return nil }
        let dir = FileFacts.canonicalPath(store.dir)
        let base = FileFacts.canonicalPath(folder)
        // MODEL_NAME like "../../etc" must never lead outside MODEL_FOLDER.
        guard FileFacts.isWithin(dir, base + "/vllm"), dir != base, dir != base + "/vllm" else {
            return .failure(FixError("\(store.dir) resolves to \(dir), outside \(base)/vllm: refusing"))
        }
        return .success(dir)
    }

    public func plan(_ context: RunbookFacts, _ o: FixOptions) throws -> FixStep {
        switch target(context) {
        case nil: return .nothingToDo("no half-finished conversion")
        case .failure(let e): return .refuse(e.description)
        case .success(let dir): return .change(["remove \(dir) (incomplete conversion)"], confirm: "delete \(dir)")
        }
    }

    public func apply(_ context: RunbookFacts, _ o: FixOptions) throws -> [String] {
        guard case .success(let dir) = target(context) else { return [] }
        try FileManager.default.removeItem(atPath: dir)
        return ["removed \(dir)"]
    }
}
