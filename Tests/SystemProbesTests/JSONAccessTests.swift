import Foundation
import Testing
import TestSupport
@testable import Basics

/// The one-line writer (request bodies) and the added readers, against Foundation's.
@Suite("JSONValue: one-line text and the rest of the readers")
struct JSONAccessTests {
    @Test func compactTextIsWhatJSONSerializationWritesOnOneLine() throws {
        var rng = SplitMix(state: 23)
        for _ in 0..<1500 {
            let (value, foundation) = JSONLiteTests.randomDocument(&rng)
            let data = try JSONSerialization.data(withJSONObject: foundation, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
            let text = value.compactText()
            // Ours also escapes DEL, C1 and the bidi controls, as prettyText does: the same values.
            var foundationText = ""
            for scalar in String(decoding: data, as: UTF8.self).unicodeScalars {
                if scalar.value >= 0x7F && TerminalSafe.needsShowing(scalar, keepNewlines: true) {
                    let hex = String(scalar.value, radix: 16)
                    foundationText += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    foundationText.unicodeScalars.append(scalar)
                }
            }
            #expect(text == foundationText)
            #expect(try JSONLite.parse(Array(text.utf8)) == value)
            #expect(!text.contains("\n"))
        }
    }

    @Test func intsArraysAndBools() throws {
        let v = try JSONLite.parse(Array(#"{"a": [1, 2.0, 1.5, -3, 1e2, "4", true, null]}"#.utf8))
        let items = try #require(v["a"]?.array)
        #expect(items.map(\.int) == [1, 2, nil, -3, 100, nil, nil, nil])
        #expect(items.map(\.bool) == [nil, nil, nil, nil, nil, nil, true, nil])
        #expect(items.last?.isNull == true)
        #expect(v["a"]?.bool == nil && v.array == nil)
    }
}
