import Basics
import SystemProbes
/// `sllm-doctor fix` as a check's hint spells it: the repair names a hint may use and the
/// runbook's mount point, in one place. Each `Action` is a repair's `--only` name; the catalogue
/// contract test (Tests/ChecksTests) holds this list, and every `fix` a check's source names,
/// to the repairs that exist.
public enum RepairHint {
    public enum Action: String, Sendable, CaseIterable {
        case mount, folders
        case offlineFlags = "offline-flags"
        case composeToggle = "compose-toggle"
        case storeCleanup = "store-cleanup"
    }

    /// `sllm-doctor fix --only ACTION`, with `sudo ` first when the repair needs root.
    public static func only(_ action: Action, sudo: Bool = false) -> String {
        "\(sudo ? "sudo " : "")sllm-doctor fix --only \(action.rawValue)"
    }

    /// `sudo sllm-doctor fix --mount /nvme [--device DEVICE] [--format]`.
    public static func mount(at point: String = RunbookDefaults.mountPoint, device: String? = nil, format: Bool = false) -> String {
        "sudo sllm-doctor fix --mount \(point)\(device.map { " --device \($0)" } ?? "")\(format ? " --format" : "")"
    }
}
