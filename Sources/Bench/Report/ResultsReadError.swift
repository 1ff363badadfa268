/// A results file that cannot be read as a results document: which file, where in it (a JSON
/// path such as `$.variants[2].runs[0].ready_ms`) and what was expected there.
public struct ResultsReadError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var path: String
    public var expected: String

    public init(file: String, path: String, expected: String) {
        self.file = file; self.path = path; self.expected = expected
    }

    public var description: String { "\(file): \(path): expected \(expected)" }
}
