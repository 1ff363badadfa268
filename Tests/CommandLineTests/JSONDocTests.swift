import Foundation
import Testing
import TestSupport
import SystemProbes
import Basics

/// docs/json.md's example and `check --json` name the same keys: a key added to one and not
/// the other fails here.
@Suite("docs/json.md against check --json")
struct JSONDocTests {
    /// The first ```json block of the page, its `// comments` removed.
    func documentedExample() throws -> [String: Any] {
        let page = try String(contentsOfFile: FileFacts.parent(of: fixturesDir) + "/../docs/json.md", encoding: .utf8)
        let start = try #require(page.range(of: "```json\n"))
        let end = try #require(page.range(of: "\n```", range: start.upperBound..<page.endIndex))
        let lines = page[start.upperBound..<end.lowerBound].split(separator: "\n").map { line -> String in
            // A comment starts at "//" outside a string: the examples' strings hold no "//".
            guard let c = line.range(of: "//") else { return String(line) }
            return String(line[..<c.lowerBound])
        }
        return try #require(try JSONSerialization.jsonObject(with: Data(lines.joined(separator: "\n").utf8)) as? [String: Any])
    }

    @Test func topLevelAndCheckKeysMatchTheOutput() throws {
        let doc = try documentedExample()
        let tmp = TempDir()
        let r = doctor(["check", "--json", "--root", tmp.path, "--only", "env", "--ignore", "all"], env: ["NODE_NAME": "n1"])
        let out = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(Set(doc.keys) == Set(out.keys))
        let documented = try #require((doc["checks"] as? [[String: Any]])?.first)
        let real = try #require((out["checks"] as? [[String: Any]])?.first)
        // "ignored" appears only when --ignore turned a failure into a warning.
        #expect(Set(documented.keys).subtracting(["ignored"]) == Set(real.keys).subtracting(["ignored"]))
        #expect(Set((doc["counts"] as? [String: Any] ?? [:]).keys) == Set((out["counts"] as? [String: Any] ?? [:]).keys))
    }
}
