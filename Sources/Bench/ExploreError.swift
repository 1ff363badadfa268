/// `--explore` or `--knobs` asked for something the plan cannot give.
public struct ExploreError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
