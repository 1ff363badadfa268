extension BenchRunner {
    /// Bytes from vLLM's "Available KV cache memory: X GiB" (KVCacheKnob).
    public static func loggedKVCacheBytes(_ lines: [String]) -> Int? { KVCacheKnob.loggedKVCacheBytes(lines) }
}
