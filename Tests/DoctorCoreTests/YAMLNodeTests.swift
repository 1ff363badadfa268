import Foundation
import Testing
import TestSupport
@testable import Runbook
import Basics

/// The typed YAML value a plan is read through: the same values SafeYAML makes, and the same
/// text compose would put in an environment.
@Suite("YAMLNode: SafeYAML's values, typed")
struct YAMLNodeTests {
    @Test func everyKindOfValueIsKeptAndItsTextIsComposes() throws {
        let text = """
        s: text
        q: "1"
        i: 8001
        d: 0.5
        b: yes
        n: ~
        l: [a, 2, false]
        m: {k: v}
        merged:
          <<: {a: 1}
          b: 2

        """
        let node = try #require(try SafeYAML.loadNode(text, path: "t.yaml"))
        #expect(node["s"] == .string("text") && node["q"] == .string("1") && node["i"] == .int(8001))
        #expect(node["d"] == .double(0.5) && node["b"] == .bool(true) && node["n"] == .null)
        #expect(node["l"] == .list([.string("a"), .int(2), .bool(false)]))
        #expect(node["m"] == .mapping(["k": .string("v")]))
        #expect(node["merged"] == .mapping(["a": .int(1), "b": .int(2)]))
        // Scalars read as compose reads them into an environment, whatever their type.
        let plain = try #require(SafeYAML.load(text, path: "t.yaml") as? [String: Any])
        for key in ["s", "q", "i", "d", "b", "n"] {
            #expect(node[key]?.scalarText == ComposeFile.scalarText(plain[key]!), "\(key)")
        }
        #expect(node["l"]?.scalarText == "[a, 2, false]")
        // And back, for the readers still on plain values.
        #expect(YAMLNode(plain: node.plainValue) == node)
    }

    @Test func anEmptyDocumentIsNoValue() throws {
        #expect(try SafeYAML.loadNode("", path: "e.yaml") == nil)
        #expect(try SafeYAML.loadNode("# only a comment\n", path: "e.yaml") == nil)
    }
}
