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
    static func parse(_ lines: [TimedLine]) -> [String: JSONValue]? {
        for line in lines where line.stream == .stdout && line.text.hasPrefix("{") {
            if let o = (try? JSONLite.parse(Array(line.text.utf8)))?.object, o["step"]?.string == "restored" {
                return o
            }
        }
        return nil
    }
}
