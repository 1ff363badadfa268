import DoctorCore
import Foundation
import ServerClient
import Startup
import SystemProbes
import Runbook
import Basics

/// Why a server died before ready, from its last lines: a short code for JSON and scripts, and
/// the sentence with what to do.
public struct CrashDiagnosis: Sendable, Equatable {
    public var code: String
    public var advice: String

    public static func diagnose(_ lines: [String], offline: Bool) -> CrashDiagnosis {
        let text = lines.suffix(200).joined(separator: "\n")
        if text.contains("LocalEntryNotFoundError") || text.contains("outgoing traffic has been disabled") ||
            (offline && text.contains("config.json")) {
            return .init(code: "hf-cache-missing-offline",
                         advice: "HF cache missing while offline: warm it online (runbook step 5), then retry.")
        }
        if text.contains("CUDA out of memory") || text.contains("OutOfMemoryError") {
            return .init(code: "gpu-out-of-memory",
                         advice: "GPU out of memory: another process holds it, or --gpu-memory-utilization is too high.")
        }
        if text.contains("Address already in use") || text.contains("address already in use") {
            return .init(code: "port-in-use", advice: "The port is taken: stop whatever listens there (ss -ltnp).")
        }
        if text.contains("save_serverless_llm_state") || (text.contains("serverless_llm") && (text.contains("invalid choice") || text.contains("nknown load format")))
            || text.contains("No module named 'sllm_store'") || text.contains("No module named 'vllm_serverless_llm'") {
            return .init(code: "loader-missing",
                         advice: "This vLLM cannot load --load-format serverless_llm: install the ServerlessLLM loader plugin (or the patched vLLM) in the image.")
        }
        if text.contains("RegisterModel failed") {
            return .init(code: "store-incomplete", advice: "The store conversion is incomplete (empty tensor.data_0): convert again.")
        }
        if text.contains("No module named") {
            return .init(code: "module-missing", advice: "A Python module is missing: see the last lines.")
        }
        return .init(code: "unknown", advice: "See the log (last lines above).")
    }

    /// The sentence alone, for older callers and tests.
    public static func likelyCause(_ lines: [String], offline: Bool) -> String {
        "Likely cause: " + diagnose(lines, offline: offline).advice
    }

    /// A crash before ready: the cause in words and as a code into the record, and the last
    /// lines on the terminal.
    static func explain(_ r: inout RunRecord, _ lines: [TimedLine], offline: Bool, say: (String) -> Void) {
        let d = diagnose(lines.map(\.text), offline: offline)
        r.cause = d.code
        r.diagnosis = "\(r.exitStatus ?? "ended") before ready: crash-loop, not a hang. Likely cause: \(d.advice)"
        // A terminal line: the record keeps more of each (TimedLine.maxBytes). The server wrote
        // it, so its controls (a CR, a clear screen) are shown, never run (TerminalSafe).
        let tail = lines.suffix(8).map { "    │ " + TerminalSafe.visible(TimedLine.capped($0.text.utf8, limit: 400)) }
        if !tail.isEmpty { say("[\(r.variant)] last \(tail.count) line(s) of its log:\n" + tail.joined(separator: "\n")) }
    }
}
