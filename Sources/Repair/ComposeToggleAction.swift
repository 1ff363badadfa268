import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// Give every vLLM service a per-run offline switch (`${HF_HUB_OFFLINE:-0}`), by editing the
/// compose file's text: the runbook's `x-offline-env` anchor where `environment` is a mapping,
/// list items where it is a list. Comments and layout elsewhere stay as they were; the result
/// must parse and satisfy the offline.compose check, or nothing is written.
public struct ComposeToggleAction: FixAction {
    public let id = "compose-toggle"
    public let repairs = "offline.compose"
    public init() {}

    static let flags = offlineFlagNames
    static let anchorName = "offline_env"

    public func plan(_ context: RunbookFacts, _ o: FixOptions) throws -> FixStep {
        let path = context.composePath
        guard FileFacts.isFile(path) else { return .notApplicable("no \(context.display(path))") }
        let text = try BoundedRead.strictText(path)
        do {
            let (edited, notes) = try Self.edit(text, path: path)
            if edited == text { return .nothingToDo("every vLLM service already takes ${HF_HUB_OFFLINE:-0}") }
            return .change(notes + ["backup \(context.display(path)).bak"])
        } catch let e as FixError {
            return .refuse(e.description)
        }
    }

    public func apply(_ context: RunbookFacts, _ o: FixOptions) throws -> [String] {
        let path = context.composePath
        let text = try BoundedRead.strictText(path)
        let (edited, notes) = try Self.edit(text, path: path)
        guard edited != text else { return [] }
        try AtomicFile.replace(path, with: Data(edited.utf8))
        return notes
    }

    static func toggle(_ flag: String) -> String { "${\(flag):-0}" }

    static func indent(_ line: String) -> Int { line.prefix { $0 == " " }.count }
    static func isContent(_ line: String) -> Bool {
        let t = line.trimmingCharacters(in: .whitespaces)
        return !t.isEmpty && !t.hasPrefix("#")
    }

    /// The edited text and what changed, in words. Throws when the file's shape is one this
    /// editor does not rewrite safely (flow-style environment, tabs).
    public static func edit(_ original: String, path: String) throws -> (String, [String]) {
        let compose: ComposeFile
        do { compose = try ComposeFile.parse(original, path: path) } catch { throw FixError("\(error)") }
        let needing = compose.services.filter(\.isVLLM).filter { s in
            flags.contains { !isTogglableReference(s.environment[$0] ?? nil, name: $0) }
        }
        if needing.isEmpty { return (original, []) }

        let crlf = original.contains("\r\n")
        var lines = original.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        var notes: [String] = []
        var usesAnchor = false
        guard let servicesLine = lines.firstIndex(where: { $0.hasPrefix("services:") }) else {
            throw FixError("\(path): no top-level 'services:' line")
        }
        for service in needing {
            // The service's header: `  name:` directly under services.
            guard let header = lines.indices.first(where: { i in
                i > servicesLine && indent(lines[i]) > 0 &&
                    lines[i].trimmingCharacters(in: .whitespaces).hasPrefix("\(service.name):") &&
                    lines[i].trimmingCharacters(in: .whitespaces).dropFirst(service.name.count + 1).trimmingCharacters(in: .whitespaces).prefix(1) != "{"
            }) else { throw FixError("\(path): cannot find the block of service \(service.name)") }
            let serviceIndent = indent(lines[header])
            var end = header + 1
            while end < lines.count && (!isContent(lines[end]) || indent(lines[end]) > serviceIndent) { end += 1 }
            // Trailing blank/comment lines belong to what follows.
            while end - 1 > header && !isContent(lines[end - 1]) { end -= 1 }
            guard let firstChild = (header + 1..<end).first(where: { isContent(lines[$0]) }) else {
                throw FixError("\(path): service \(service.name) has an empty block")
            }
            let child = indent(lines[firstChild])
            let unit = child - serviceIndent
            let pad = String(repeating: " ", count: child)
            let envLine = (header + 1..<end).first { indent(lines[$0]) == child && lines[$0].trimmingCharacters(in: .whitespaces).hasPrefix("environment:") }
            guard let envLine else {
                lines.insert(contentsOf: [pad + "environment:", pad + String(repeating: " ", count: unit) + "<<: *\(anchorName)"], at: header + 1)
                usesAnchor = true
                notes.append("\(service.name): add environment with <<: *\(anchorName)")
                continue
            }
            let inline = lines[envLine].trimmingCharacters(in: .whitespaces).dropFirst("environment:".count).trimmingCharacters(in: .whitespaces)
            if inline.hasPrefix("*") {
                let alias = inline.dropFirst().prefix { !$0.isWhitespace }
                lines[envLine] = pad + "environment:"
                lines.insert(pad + String(repeating: " ", count: unit) + "<<: [*\(alias), *\(anchorName)]", at: envLine + 1)
                usesAnchor = true
                notes.append("\(service.name): merge *\(anchorName) after *\(alias)")
                continue
            }
            if !inline.isEmpty && !inline.hasPrefix("#") {
                throw FixError("\(path): service \(service.name) has a flow-style environment (\(inline.prefix(30))); edit it by hand")
            }
            var blockEnd = envLine + 1
            while blockEnd < end && (!isContent(lines[blockEnd]) || indent(lines[blockEnd]) > child) { blockEnd += 1 }
            guard let firstItem = (envLine + 1..<blockEnd).first(where: { isContent(lines[$0]) }) else {
                lines.insert(pad + String(repeating: " ", count: unit) + "<<: *\(anchorName)", at: envLine + 1)
                usesAnchor = true
                notes.append("\(service.name): add <<: *\(anchorName)")
                continue
            }
            let itemPad = String(repeating: " ", count: indent(lines[firstItem]))
            let isList = lines[firstItem].trimmingCharacters(in: .whitespaces).hasPrefix("-")
            var missing: [String] = []
            for flag in flags where !isTogglableReference(service.environment[flag] ?? nil, name: flag) {
                let existing = (envLine + 1..<blockEnd).first { i in
                    let t = lines[i].trimmingCharacters(in: .whitespaces)
                    if isList {
                        let item = t.dropFirst().trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                        return t.hasPrefix("-") && (item.hasPrefix(flag + "=") || item == flag)
                    }
                    return t.hasPrefix(flag + ":") && indent(lines[i]) == itemPad.count
                }
                if let i = existing {
                    lines[i] = isList ? "\(itemPad)- \(flag)=\(toggle(flag))" : "\(itemPad)\(flag): \(toggle(flag))"
                    notes.append("\(service.name): set \(flag) to \(toggle(flag)) (line \(i + 1))")
                } else {
                    missing.append(flag)
                }
            }
            guard !missing.isEmpty else { continue }
            if isList {
                let lastItem = (envLine + 1..<blockEnd).last { isContent(lines[$0]) }!
                lines.insert(contentsOf: missing.map { "\(itemPad)- \($0)=\(toggle($0))" }, at: lastItem + 1)
                notes.append("\(service.name): add list item(s) \(missing.joined(separator: ", "))")
            } else if let merge = (envLine + 1..<blockEnd).first(where: { lines[$0].trimmingCharacters(in: .whitespaces).hasPrefix("<<:") && indent(lines[$0]) == itemPad.count }) {
                let value = lines[merge].trimmingCharacters(in: .whitespaces).dropFirst(3).trimmingCharacters(in: .whitespaces)
                let merged = value.hasPrefix("[") ? String(value.dropLast()) + ", *\(anchorName)]" : "[\(value), *\(anchorName)]"
                lines[merge] = "\(itemPad)<<: \(merged)"
                usesAnchor = true
                notes.append("\(service.name): merge *\(anchorName) into its existing <<")
            } else {
                lines.insert("\(itemPad)<<: *\(anchorName)", at: firstItem)
                usesAnchor = true
                notes.append("\(service.name): add <<: *\(anchorName)")
            }
        }
        if usesAnchor && !original.contains("&\(anchorName)") {
            let at = lines.firstIndex(where: { $0.hasPrefix("services:") })!
            lines.insert(contentsOf: ["x-offline-env: &\(anchorName)"] + flags.map { "  \($0): \(toggle($0))" } + [""], at: at)
            notes.insert("add the x-offline-env anchor (runbook 1B) before services:", at: 0)
        }
        let edited = lines.joined(separator: crlf ? "\r\n" : "\n")
        // Prove it: the result parses and every vLLM service now takes both toggles.
        let check: ComposeFile
        do { check = try ComposeFile.parse(edited, path: path) }
        catch { throw FixError("\(path): the edit would not parse (\(error)); nothing written") }
        let still = check.services.filter(\.isVLLM).filter { s in flags.contains { !isTogglableReference(s.environment[$0] ?? nil, name: $0) } }
        if !still.isEmpty {
            throw FixError("\(path): could not make \(still.map(\.name).joined(separator: ", ")) togglable by a safe edit; nothing written")
        }
        return (edited, notes)
    }
}
