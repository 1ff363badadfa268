import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// Delete truthy HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE lines from common.env, keeping every
/// other byte (comments, CRLF, order) as it was.
public struct OfflineFlagsAction: FixAction {
    public let id = "offline-flags"
    public let repairs = "offline.common-env"
    public init() {}

    /// The lines offline.common-env fails on (values read as compose reads them), one-line ones.
    func offendingLines(_ path: String, _ context: RunbookFacts) throws -> [Int] {
        let env = try EnvFile.load(path: path)
        // Only a line this file's own grammar numbers alike (a lone CR numbers lines otherwise for v1).
        let lines = Set(env.entries.filter { !$0.value.contains("\n") }.map { "\($0.line) \($0.key)" })
        return context.forcedOfflineFlags(commonEnvText: env.source)
            .filter { lines.contains("\($0.assignment.line) \($0.assignment.key)") && !$0.assignment.written.contains("\n") }
            .map(\.assignment.line)
    }

    public func plan(_ context: RunbookFacts, _ o: FixOptions) throws -> FixStep {
        let path = context.commonEnvPath
        guard FileFacts.isFile(path) else { return .notApplicable("no \(context.display(path))") }
        let lines = try offendingLines(path, context)
        if lines.isEmpty { return .nothingToDo("no offline flag forced in \(context.display(path))") }
        return .change(lines.map { "delete \(context.display(path)):\($0)" } + ["backup \(context.display(path)).bak"])
    }

    public func apply(_ context: RunbookFacts, _ o: FixOptions) throws -> [String] {
        let path = context.commonEnvPath
        let lines = Set(try offendingLines(path, context))
        guard !lines.isEmpty else { return [] }
        let original = Data(try BoundedRead.bytes(path, limit: EnvFile.sizeLimit))
        let edited = Self.removeLines(original, lines)
        try AtomicFile.replace(path, with: edited)
        return ["deleted line(s) \(lines.sorted().map(String.init).joined(separator: ", ")) of \(context.display(path))"]
    }

    /// Drops whole lines (1-based) from raw bytes, line ends included; nothing else changes.
    static func removeLines(_ data: Data, _ lines: Set<Int>) -> Data {
        var out = Data()
        var line = 1
        var start = data.startIndex
        let bytes = [UInt8](data)
        for i in 0..<bytes.count where bytes[i] == 10 {
            if !lines.contains(line) { out.append(contentsOf: bytes[start...i]) }
            line += 1
            start = i + 1
        }
        if start < bytes.count && !lines.contains(line) { out.append(contentsOf: bytes[start...]) }
        return out
    }
}
