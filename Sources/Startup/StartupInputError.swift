/// What `startup`, `probe` or `anatomy` was pointed at cannot be measured (no weight files,
/// no server answering): one line for the user.
public struct StartupInputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
