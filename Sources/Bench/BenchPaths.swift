/// Where one bench's files go. The CLI chooses the folder and the stamp; the names follow.
public struct BenchPaths: Sendable, Equatable {
    public var dir: String
    public var base: String
    /// The README whose tables get the bench's rows.
    public var readme: String

    public init(resultsDir: String, mode: BenchMode, stamp: String, readme: String) {
        dir = resultsDir; base = "\(mode.rawValue)_\(stamp)"; self.readme = readme
    }

    public var json: String { "\(dir)/\(base).json" }
    public var svg: String { "\(dir)/\(base).svg" }
    public var exploreSVG: String { "\(dir)/\(base)_explore.svg" }
    public var logs: String { "\(dir)/\(base)_logs" }
}
