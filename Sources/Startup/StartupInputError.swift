/// What `startup`, `probe` or `anatomy` was pointed at cannot be measured (no weight files):
/// one line for the user, exit 2. A run that fails once started is a `StartupRunError`.
public struct StartupInputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
