import Basics
import SystemProbes

/// Which hub folder the servers will use: HF_HUB_CACHE, then HF_HOME/hub (from `.env`, then
/// the environment), then the runbook's HF_CACHE_FOLDER/hub, then ~/.cache/huggingface/hub.
public func resolveHubDir(_ context: RunbookFacts) -> (path: String, from: String) {
    if let v = context.variable("HF_HUB_CACHE") { return (context.absolute(v), "HF_HUB_CACHE") }
    if let v = context.variable("HF_HOME") { return (FileFacts.join(context.absolute(v), "hub"), "HF_HOME/hub") }
    if let v = context.hfCacheFolder {
        let hub = FileFacts.join(v, "hub")
        // Some setups mount HF_CACHE_FOLDER as the hub itself.
        if !FileFacts.exists(hub), let m = context.modelName,
           FileFacts.exists(FileFacts.join(v, "models--" + m.replacingEvery("/", with: "--"))) {
            return (v, "HF_CACHE_FOLDER")
        }
        return (hub, "HF_CACHE_FOLDER/hub")
    }
    let home = context.processEnvironment["HOME"] ?? "/root"
    return (FileFacts.join(home, ".cache/huggingface/hub"), "default ~/.cache/huggingface/hub")
}
