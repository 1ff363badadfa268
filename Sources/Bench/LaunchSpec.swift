/// How one variant's server is started.
public enum LaunchSpec: Sendable, Equatable {
    /// A plain command (hosts without docker, like a bare GPU box).
    case command(argv: [String], env: [String: String], cwd: String?)
    /// A docker compose service (the runbook's layout).
    case compose(file: String, service: String, profile: String?, container: String, envFile: String?)
}
