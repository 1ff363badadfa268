import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// What bench reports about a template it ran: each start (timed apart from the runs, like the
/// store's restarts) and each crash.
public struct TemplateReport: Sendable {
    public var python: String
    public var socket: String
    public var starts: [(ms: Double, status: TemplateStatus?)]
    public var crashes: [String]

    /// For the Notes column.
    public var note: String {
        guard let first = starts.first else { return "template not started" }
        var s = String(format: "template ready in %.1f s", first.ms / 1000)
        if let st = first.status { s += " (\(st.summary))" }
        if starts.count > 1 { s += ", started \(starts.count) times" }
        if !crashes.isEmpty { s += ", crashed \(crashes.count)x" }
        return s
    }
}
