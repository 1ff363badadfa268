import Foundation

public struct Variant: Sendable, Equatable {
    public var name: String
    public var kind: VariantKind = .restart
    public var launch: LaunchSpec
    public var port: Int
    /// Loads through ServerlessLLM Store: its pinned pool must be emptied for cold runs.
    public var serverlessLLM = false
    /// Restarts the store (empties its pinned memory pool) before a cold run.
    public var storeRestart: [String]?
    /// Sleep level for wake variants (2 only with an explicit flag; the weights are reloaded).
    public var sleepLevel = 1
    /// `bench --explore`: the start-up knob this variant turns, in words (nil: a user's variant).
    public var knob: String?
    /// The knob as a change to the first variant's command, so knobs can be combined.
    public var knobChange: KnobChange?
    /// Each run gets an empty VLLM_CACHE_ROOT: torch.compile's cache is cold every time.
    public var freshCompileCache = false
    /// Starts before the first measured run, not counted: a configuration whose compile-cache
    /// key is new pays torch.compile once; the runs after it show its steady restart.
    public var warmupRuns = 0
    /// Each start is forked from a warm interpreter template (plan `template: true`, explore's
    /// `template` knob) instead of a fresh Python.
    public var template = false
    /// vLLM as it comes (plan key `vllm_as_given: true`): the speed-ups "vs vLLM as given" divide by it.
    public var vllmAsGiven = false
    /// `--kv-cache-memory-bytes` from an earlier start's "Available KV cache memory" (explore's
    /// `kv-cache-memory` knob): vLLM then skips its memory profile.
    public var kvCacheFromLog = false
    /// Each run restores a CRIU image of the server instead of starting it (plan `snapshot:`,
    /// SnapshotLauncher.swift); the command starts the fresh server the image is made from.
    public var snapshot: SnapshotSpec?

    public init(name: String, kind: VariantKind = .restart, launch: LaunchSpec, port: Int,
                serverlessLLM: Bool = false, storeRestart: [String]? = nil, sleepLevel: Int = 1) {
        self.name = name; self.kind = kind; self.launch = launch; self.port = port
        self.serverlessLLM = serverlessLLM; self.storeRestart = storeRestart; self.sleepLevel = sleepLevel
    }

    /// A variant's name becomes a file name (`<name>_run1.log`): it must stay one, never a path.
    public static func isSafeName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), let first = name.unicodeScalars.first,
              first.isASCII, CharacterSet.alphanumerics.contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
    }
}
