/// A plan that cannot be run, with where it went wrong: the plan file (nil for flags and the
/// runbook's own services), the variant (its name, or `variants[i]` before it has one) and the
/// key. `description` is the one line the user reads; the CLI turns it into exit 2.
public struct PlanError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String?
    public var variant: String?
    public var key: String?
    public var description: String

    public init(_ description: String, file: String? = nil, variant: String? = nil, key: String? = nil) {
        self.description = description; self.file = file; self.variant = variant; self.key = key
    }
}
