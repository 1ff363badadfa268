import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// The image of a snapshot variant, as bench found or made it: made once (a fresh start, then
/// `vllm_snapshot create`), timed apart from the runs like a template's start.
public struct SnapshotReport: Sendable {
    public var variant: String
    public var image: String
    public var imageBytes: Int?
    /// false: the folder already held an image, which every run restored.
    public var made: Bool
    public var freshStartS: Double?
    public var createS: Double?
    public var checkpointS: Double?
    public var dumpS: Double?
    /// The fresh server's log (made only).
    public var log: String?

    /// For the Notes column.
    public var note: String {
        let size = imageBytes.map { String(format: "%.2f GiB", Double($0) / 1_073_741_824) } ?? "size unknown"
        guard made else { return "\(variant): snapshot image reused (\(size) at \(image))" }
        return "\(variant): snapshot image made once: fresh start " + String(format: "%.1f s, create %.1f s", freshStartS ?? 0, createS ?? 0)
            + " (checkpoint \(checkpointS.map { String(format: "%.1f", $0) } ?? "-") s, dump \(dumpS.map { String(format: "%.1f", $0) } ?? "-") s), \(size) at \(image)"
    }

    private func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
