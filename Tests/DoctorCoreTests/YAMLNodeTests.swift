import Foundation
import Testing
import TestSupport
@testable import Runbook
import Basics

/// The typed YAML value SafeYAML makes and every reader (compose files, plans) walks, with
/// the text compose would put in an environment.
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
        let texts = ["s": "text", "q": "1", "i": "8001", "d": "0.5", "b": "true", "n": ""]
        for (key, text) in texts {
            #expect(node[key]?.scalarText == text, "\(key)")
            #expect(ComposeFile.scalarText(node[key]!) == text, "\(key)")
        }
        // A plan's list is its flow form; in a compose file (where compose refuses it), the
        // form the compose reader has always printed: strings quoted, null as <null>.
        #expect(node["l"]?.scalarText == "[a, 2, false]")
        #expect(ComposeFile.scalarText(node["l"]!) == "[\"a\", 2, false]")
        #expect(ComposeFile.scalarText(.mapping(["k": .null, "a": .list([])])) == "[\"a\": [], \"k\": <null>]")
        #expect(ComposeFile.scalarText(.list([.mapping([:]), .string("a\"b")])) == "[[:], \"a\\\"b\"]")
    }

    /// The distinctions compose makes, kept by the cases: a quoted number is text, `yes` and
    /// `true` are booleans and never ints, `~` is null and not an empty string.
    @Test func theKindsAreTheOnesComposeTellsApart() throws {
        let node = try #require(try SafeYAML.loadNode("a: '1'\nb: 1\nc: yes\nd: ~\ne: ''\nf: 1.0\ng: 0x10\n", path: "t.yaml"))
        #expect(node["a"]?.isString == true && node["a"]?.isInt == false)
        #expect(node["b"]?.isInt == true && node["b"]?.isBool == false && node["b"]?.isDouble == false)
        #expect(node["c"]?.isBool == true && node["c"]?.isInt == false)
        #expect(node["d"]?.isNull == true && node["e"]?.isNull == false && node["e"] == .string(""))
        #expect(node["f"] == .double(1.0) && node["g"] == .int(16))
        #expect(node["a"]?.shape == "a string" && node["b"]?.shape == "a number" && node["c"]?.shape == "a boolean")
        #expect(node["d"]?.shape == "nothing (null)" && node.shape == "a mapping" && YAMLNode.list([]).shape == "a list")
    }

    @Test func anEmptyDocumentIsNoValue() throws {
        #expect(try SafeYAML.loadNode("", path: "e.yaml") == nil)
        #expect(try SafeYAML.loadNode("# only a comment\n", path: "e.yaml") == nil)
    }
}
