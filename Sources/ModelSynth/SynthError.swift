/// A model file could not be written (the folder, the disk): one line for the user.
public struct SynthError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
