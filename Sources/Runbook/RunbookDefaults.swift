import Basics
import SystemProbes
/// The `.env` of the runbook's step 2. Before a user has written their own, `check` judges the
/// host with these, so the first run already says where /nvme would be and what is on it.
public enum RunbookDefaults {
    /// Where the runbook mounts the NVMe: the folders below and every `fix --mount` hint use it.
    public static let mountPoint = "/nvme"

    public static let values: [(key: String, value: String)] = [
        ("MODEL_FOLDER", mountPoint + "/sllm-models"),
        ("HF_CACHE_FOLDER", mountPoint + "/hf-cache"),
        ("MODEL_NAME", "meta-llama/Llama-3.1-8B-Instruct"),
        ("MEM_POOL_SIZE", "32GB"),
        ("VLLM_BASELINE_PORT", "8001"),
        ("VLLM_FASTSTART_PORT", "8082"),
        ("SLLM_NUM_THREAD", "16"),
        ("SLLM_CHUNK_SIZE", "128MB"),
    ]

    public static subscript(key: String) -> String? { values.first { $0.key == key }?.value }

    /// `KEY=value, …` for a report line.
    public static var listed: String { values.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") }
}
