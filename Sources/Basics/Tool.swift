/// The name and version every output states (check --json, bench results, --version).
public enum Tool {
    public static let name = "sllm-doctor"
    public static let version = "0.1.0"
}
