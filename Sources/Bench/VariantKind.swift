public enum VariantKind: String, Sendable, Equatable {
    /// Stop the server, start it again: the restart the seeds measure.
    case restart
    /// Start once with sleep mode; each run sleeps and wakes it (the sleep-mode variant).
    case wake
}
