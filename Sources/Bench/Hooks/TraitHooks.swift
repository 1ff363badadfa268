import Foundation

/// The hooks a variant's traits and the plan's settings bring, whatever starts it: one of each
/// per bench, since some keep what an earlier run saw (the KV-cache size, the compile cache's
/// last verdict) for later runs of any variant.
final class TraitHooks {
    let portFree = PortFree()
    let dropCaches = DropCaches()
    let storeRestart = StoreRestart()
    let freshCompileCache = FreshCompileCache()
    let kvCache = KVCacheKnob()
    let compileCache = CompileCacheWatch()

    /// In the order they act within a slot.
    func hooks(for v: Variant, plan: BenchPlan) -> [any RunHook] {
        var out: [any RunHook] = [portFree]
        if plan.dropCaches { out.append(dropCaches) }
        if StoreRestart.applies(to: v, plan: plan) { out.append(storeRestart) }
        // Always: its folders go after any run's stop (a wake variant's too); it acts on its trait alone.
        return out + [freshCompileCache, kvCache, compileCache]
    }
}
