import Foundation
import Basics

/// The phase table, in start-up order.
public enum AnatomyTable {
    /// A container's start (bench), spawn → first line, the phases vLLM's lines end, readiness,
    /// and the time no known line explains.
    public static let order = ["container_start", "interpreter_and_imports"] + vllmMilestones.map(\.phase)
        + ["first_200_on_models", StartupAnatomy.unexplained]

    public static func render(phases: [String: Double], ready: Double?) -> String {
        var table = MarkdownTable(header: ["phase", "s", "% of ready"], rightAligned: [1, 2])
        let names = order.filter { phases[$0] != nil } + phases.keys.filter { !order.contains($0) }.sorted()
        for name in names {
            let v = phases[name]!
            let pct = ready.map { $0 > 0 ? String(format: "%.1f", v / $0 * 100) : "-" } ?? "-"
            table.rows.append([name, String(format: "%.2f", v), pct])
        }
        if let ready { table.rows.append(["**ready**", String(format: "%.2f", ready), "100"]) }
        return table.text
    }
}
