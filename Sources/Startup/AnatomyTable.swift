import Foundation

/// The phase table, in start-up order.
public enum AnatomyTable {
    public static let order = ["container_start", "interpreter_and_imports", "api_server_to_engine", "weights_load", "model_load_rest", "torch_compile",
                               "kv_cache_profile", "cuda_graph_capture", "warmup", "api_server_up", "first_200_on_models", "unaccounted"]

    public static func render(phases: [String: Double], ready: Double?) -> String {
        var t = "| phase | s | % of ready |\n|---|---:|---:|\n"
        let names = order.filter { phases[$0] != nil } + phases.keys.filter { !order.contains($0) }.sorted()
        for name in names {
            let v = phases[name]!
            let pct = ready.map { $0 > 0 ? String(format: "%.1f", v / $0 * 100) : "-" } ?? "-"
            t += "| \(name) | \(String(format: "%.2f", v)) | \(pct) |\n"
        }
        if let ready { t += "| **ready** | \(String(format: "%.2f", ready)) | 100 |\n" }
        return t
    }
}
