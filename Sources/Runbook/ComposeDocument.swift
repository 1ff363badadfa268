import Foundation
import SystemProbes
import Basics

/// One compose file as compose reads it, with the line of every value: what the environment
/// resolver and the in-process validation walk. Read with a bound (`BoundedRead`: a regular
/// file, at most `maxBytes`, opened without blocking: a FIFO is refused, not waited on).
public struct ComposeDocument: Sendable {
    public var path: String
    public var root: [String: YAMLNode]
    /// Line of each value by key path ("services/web/environment/HF_HUB_OFFLINE").
    public var lines: [String: Int]

    public var directory: String { FileFacts.parent(of: path) }
    public var services: [String: YAMLNode]? { root["services"]?.mapping }

    public func line(_ keyPath: String...) -> Int? { lines[keyPath.joined(separator: "/")] }
    public func line(path keyPath: String) -> Int? { lines[keyPath] }

    public static let maxBytes = 4 << 20

    public static func load(path: String) throws(ComposeFile.ParseError) -> ComposeDocument {
        let text = try readText(path, limit: maxBytes)
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws(ComposeFile.ParseError) -> ComposeDocument {
        let located: (value: YAMLNode?, lines: [String: Int])
        do { located = try SafeYAML.loadLocated(text, path: path) }
        catch let e as SafeYAML.LoadError { throw ComposeFile.ParseError(path: path, line: e.line, message: e.message) }
        catch { throw ComposeFile.ParseError(path: path, message: "\(error)") }
        if located.value == nil || located.value == .null {
            throw ComposeFile.ParseError(path: path, message: "empty file (expected a mapping with 'services:')")
        }
        guard let root = located.value?.mapping else {
            throw ComposeFile.ParseError(path: path, line: 1, message: "expected a mapping at the top (services: ...), found \(located.value!.shape)")
        }
        return ComposeDocument(path: path, root: root, lines: located.lines)
    }

    /// A file compose names (a compose file, an env_file), read through `BoundedRead` (a regular
    /// file, at most `limit` bytes, never waited on), as UTF-8 without a byte-order mark.
    public static func readText(_ path: String, limit: Int) throws(ComposeFile.ParseError) -> String {
        let text: String
        do { text = try BoundedRead.strictText(path, limit: limit) }
        catch { throw ComposeFile.ParseError(path: path, message: error.reason) }
        return text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
    }
}
