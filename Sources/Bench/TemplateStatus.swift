import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// What a running template says it holds (`python -m vllm_template status --json`).
public struct TemplateStatus: Sendable, Equatable {
    public var pid: Int
    public var modules: Int
    public var rssBytes: Int?
    public var loadS: Double
    public var stale: [String]
    public var cudaInitialised: Bool

    public static func parse(_ text: String) -> TemplateStatus? {
        guard let o = (try? JSONLite.parse(Array(text.utf8)))?.object,
              let pid = o["pid"]?.int, let modules = o["modules"]?.int else { return nil }
        return TemplateStatus(pid: pid, modules: modules, rssBytes: o["rss_bytes"]?.int,
                              loadS: o["load_s"]?.double ?? 0,
                              stale: o["stale"]?.array?.compactMap(\.string) ?? [], cudaInitialised: o["cuda_initialised"]?.bool ?? false)
    }

    /// One line for notes and the terminal.
    public var summary: String {
        var s = "\(modules) modules"
        if let r = rssBytes { s += String(format: ", RSS %.0f MiB", Double(r) / 1_048_576) }
        return s + String(format: ", imports %.1f s", loadS)
    }
}
