/// A measurement that was started and then failed at run time (the server does not answer,
/// a request fails, the server dies): the input was fine, the run was not. Exit 1, not 2.
public struct StartupRunError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
