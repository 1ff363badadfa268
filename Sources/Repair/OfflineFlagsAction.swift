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

    func offendingLines(_ path: String) throws -> [Int] {
        let env = try EnvFile.load(path: path)
        return env.entries.filter { offlineFlagNames.contains($0.key) && isTruthyFlag($0.value) && !$0.value.contains("\n") }.map(\.line)
    }

    public func plan(_ context: CheckContext, _ o: FixOptions) throws -> FixStep {
        let path = context.commonEnvPath
        guard FileFacts.isFile(path) else { return .notApplicable("no \(context.display(path))") }
        let lines = try offendingLines(path)
        if lines.isEmpty { return .nothingToDo("no offline flag forced in \(context.display(path))") }
        return .change(lines.map { "delete \(context.display(path)):\($0)" } + ["backup \(context.display(path)).bak"])
    }

    public func apply(_ context: CheckContext, _ o: FixOptions) throws -> [String] {
        let path = context.commonEnvPath
        let lines = Set(try offendingLines(path))
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
