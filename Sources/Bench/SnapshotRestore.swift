import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// What one restore reported (the restorer's `{"step": "restored", ...}` line) and the image it restored.
public struct SnapshotRestore: Sendable, Equatable {
    public var image: String
    public var imageBytes: Int?
    public var criuRestoreS: Double?
    public var cudaRestoreS: Double?
    /// The restorer's greedy completion, compared with the one recorded at create.
    public var checkS: Double?
    public var totalS: Double?

    /// The restorer's line among the server's stdout lines (nil: it printed none).
    static func parse(_ lines: [TimedLine]) -> [String: Any]? {
        for line in lines where line.stream == .stdout && line.text.hasPrefix("{") {
            if let o = try? JSONSerialization.jsonObject(with: Data(line.text.utf8)) as? [String: Any], o["step"] as? String == "restored" {
                return o
            }
        }
        return nil
    }

    public func jsonObject() -> [String: Any] {
        var o: [String: Any] = ["image": image]
        func put(_ k: String, _ v: Any?) { if let v { o[k] = v } }
        put("image_bytes", imageBytes); put("criu_restore_s", criuRestoreS); put("cuda_restore_s", cudaRestoreS)
        put("check_s", checkS); put("total_s", totalS)
        return o
    }
}
