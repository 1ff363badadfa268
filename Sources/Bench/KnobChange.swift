/// One start-up knob as an edit of a command: flags removed, flags added, variables set.
public struct KnobChange: Sendable, Equatable {
    public var drop: [String] = []
    public var add: [String] = []
    public var env: [String: String] = [:]
    /// Start from the warm interpreter template.
    public var template = false
    /// Add `--kv-cache-memory-bytes` with the size an earlier start logged.
    public var kvCacheFromLog = false
    /// Knobs of one group exclude each other (two loaders; eager and a graph list).
    public var group: String
    public init(drop: [String] = [], add: [String] = [], env: [String: String] = [:], template: Bool = false,
                kvCacheFromLog: Bool = false, group: String) {
        self.drop = drop; self.add = add; self.env = env; self.template = template; self.kvCacheFromLog = kvCacheFromLog; self.group = group
    }
}
