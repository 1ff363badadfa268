import Foundation
import Testing
import TestSupport
@testable import SystemProbes
@testable import Basics

// The plain-Swift replacements on the `check` path must answer exactly as the Foundation calls
// they replace: each is compared with Foundation on random input.

@Suite("plain-Swift text and JSON (the check path)")
struct PlainSwiftTests {
    static let pieces = [" ", "\t", "\n", "\r\n", "\u{00A0}", "\u{2003}", "\u{3000}", "\u{2028}", "\u{85}", "a", "b", "é", "/",
                         "--", "=", "#", "\"", "日本", "\u{1F600}", "x y", "ab", "hf_"]

    static func randomText(_ rng: inout SplitMix, maxPieces: Int = 12) -> String {
        (0..<Int.random(in: 0...maxPieces, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    @Test func trimmingMatchesFoundationOnRandomText() {
        var rng = SplitMix(state: 1)
        for _ in 0..<3000 {
            let s = Self.randomText(&rng)
            #expect(s.trimmingSpaces() == s.trimmingCharacters(in: .whitespaces), "\(s.debugDescription)")
            #expect(s.trimmingSpaces(newlines: true) == s.trimmingCharacters(in: .whitespacesAndNewlines), "\(s.debugDescription)")
            let sub = s.dropFirst()
            #expect(sub.trimmingSpaces() == sub.trimmingCharacters(in: .whitespaces))
        }
    }

    /// The standard library's generic joined(separator:), which [String]'s own overload shadows.
    static func libraryJoined<C: BidirectionalCollection>(_ c: C, _ separator: String) -> String where C.Element == String {
        c.joined(separator: separator)
    }

    @Test func joiningStringsMatchesTheStandardLibrary() {
        var rng = SplitMix(state: 7)
        for _ in 0..<2000 {
            let parts = (0..<Int.random(in: 0...6, using: &rng)).map { _ in Self.randomText(&rng, maxPieces: 3) }
            let separator = Self.randomText(&rng, maxPieces: 2)
            #expect(parts.joined(separator: separator) == Self.libraryJoined(parts, separator), "\(parts) \(separator.debugDescription)")
            #expect(parts.joined() == Self.libraryJoined(parts, ""))
        }
    }

    @Test func replacingAndContainsMatchFoundationOnRandomText() {
        var rng = SplitMix(state: 2)
        for _ in 0..<3000 {
            let s = Self.randomText(&rng)
            let target = Self.randomText(&rng, maxPieces: 2)
            let replacement = Self.randomText(&rng, maxPieces: 2)
            guard !target.isEmpty else { continue }
            // Foundation compares by characters; ours by bytes. They agree when the target does
            // not start or end inside a grapheme cluster (all these pieces but "\r\n" halves).
            #expect(s.replacingEvery(target, with: replacement) == s.replacingOccurrences(of: target, with: replacement),
                    "\(s.debugDescription) \(target.debugDescription)")
            #expect(s.containsText(target) == s.contains(target), "\(s.debugDescription) \(target.debugDescription)")
        }
        #expect("a\r\nb\r\n".replacingEvery("\r\n", with: "\n") == "a\nb\n")
        #expect("meta-llama/Llama-3.1-8B".replacingEvery("/", with: "--") == "meta-llama--Llama-3.1-8B")
    }

    @Test func decimalsMatchStringFormat() {
        var rng = SplitMix(state: 3)
        for _ in 0..<3000 {
            let v = Double.random(in: -1e6...1e6, using: &rng) / Double([1, 10, 1000, 1e5].randomElement(using: &rng)!)
            for places in 0...3 {
                // Halfway cases may round either way in binary; skip values that sit on one.
                let scaled = abs(v) * pow(10, Double(places))
                if abs(scaled - scaled.rounded(.down) - 0.5) < 1e-6 { continue }
                #expect(formatDecimal(v, places: places) == String(format: "%.\(places)f", v), "\(v) \(places)")
            }
        }
        #expect(formatDecimal(0.0421, places: 3) == "0.042")
        #expect(formatDecimal(1250, places: 0) == "1250")
    }

    @Test func paddingMatchesFoundation() {
        for id in ["env.file", "storage.signature", "a-very-long-check-identifier-name"] {
            #expect(id.paddedRight(to: 22) == id.padding(toLength: max(22, id.count), withPad: " ", startingAt: 0))
        }
    }

    /// The reference: the component walk `normalizedPath` used before it worked on bytes.
    static func normalizedReference(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    @Test func normalizedPathMatchesTheComponentWalk() {
        var rng = SplitMix(state: 4)
        let parts = ["/", "//", ".", "..", "a", "bb", "é", "x.y", "...", ".hidden"]
        for _ in 0..<5000 {
            let p = (0..<Int.random(in: 0...10, using: &rng)).map { _ in parts.randomElement(using: &rng)! }.joined(separator: "/")
            #expect(FileFacts.normalizedPath(p) == Self.normalizedReference(p), "\(p)")
        }
        #expect(FileFacts.normalizedPath("/nvme/./hf-cache/../sllm-models/") == "/nvme/sllm-models")
        #expect(FileFacts.normalizedPath("../..") == "/")
    }

    @Test func userNamesComeFromThePasswdFileThenNSS() throws {
        let tmp = TempDir()
        let file = tmp.path + "/passwd"
        try "root:x:0:0:root:/root:/bin/bash\n+nis:x:77:77::/:\nvllm:x:1001:1001:,,,:/home/vllm:/bin/sh\nvllm2:x:1001:1001::/:\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        #expect(UserNameCache.passwdName(1001, file: file) == "vllm")   // the first line wins
        #expect(UserNameCache.passwdName(0, file: file) == "root")
        #expect(UserNameCache.passwdName(77, file: file) == nil)        // NIS markers are not names
        #expect(UserNameCache.passwdName(5, file: tmp.path + "/missing") == nil)
        // This machine: the answer equals NSS's.
        let me = getuid()
        let nss = getpwuid(me).map { String(cString: $0.pointee.pw_name) } ?? String(me)
        #expect(FileFacts.userName(me) == nss)
    }

    @Test func theEnvironmentIsProcessInfos() {
        #expect(ProcessEnvironment.current() == ProcessInfo.processInfo.environment)
        #expect(ProcessEnvironment.value("PATH") == ProcessInfo.processInfo.environment["PATH"])
        #expect(ProcessEnvironment.value("SLLM_SURELY_NOT_SET_\(getpid())") == nil)
    }
}

@Suite("JSONLite against JSONSerialization")
struct JSONLiteTests {
    static func randomValue(_ rng: inout SplitMix, depth: Int = 0) -> Any {
        switch Int.random(in: 0...(depth > 3 ? 3 : 6), using: &rng) {
        case 0: return Int.random(in: -1_000_000...Int(Int32.max), using: &rng)
        case 1: return PlainSwiftTests.randomText(&rng, maxPieces: 4) + ["\\", "\u{1}", "\"", "/"].randomElement(using: &rng)!
        case 2: return Bool.random(using: &rng)
        case 3: return Double(Int.random(in: -100_000...100_000, using: &rng)) / 64
        case 4: return NSNull()
        case 5: return (0..<Int.random(in: 0...4, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) }
        default:
            var o: [String: Any] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &rng) { o[PlainSwiftTests.randomText(&rng, maxPieces: 3)] = randomValue(&rng, depth: depth + 1) }
            return o
        }
    }

    /// Both readings turned into one comparable form.
    static func same(_ a: JSONValue, _ b: Any) -> Bool {
        switch a {
        case .object(let o):
            guard let d = b as? [String: Any], d.count == o.count else { return false }
            return o.allSatisfy { k, v in d[k].map { same(v, $0) } ?? false }
        case .array(let xs):
            guard let ys = b as? [Any], ys.count == xs.count else { return false }
            return zip(xs, ys).allSatisfy { same($0, $1) }
        case .string(let s): return (b as? String) == s
        case .number(_, let v):
            return (b as? NSNumber)?.doubleValue == v
        case .bool(let v):
            return (b as? NSNumber)?.boolValue == v || (b as? Bool) == v
        case .null: return b is NSNull
        }
    }

    @Test func readsWhatJSONSerializationWritesAndAgreesWithItsReading() throws {
        var rng = SplitMix(state: 5)
        for i in 0..<2000 {
            let value: Any = i % 2 == 0 ? ["weight_map": Self.randomValue(&rng), "metadata": ["total_size": 16_060_522_496]] : Self.randomValue(&rng)
            let data = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, i % 3 == 0 ? .prettyPrinted : []])
            let reference = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            let ours = try JSONLite.parse(Array(data))
            #expect(Self.same(ours, reference), "\(String(decoding: data, as: UTF8.self))")
        }
    }

    /// A random document and the same one as Foundation objects.
    static func randomDocument(_ rng: inout SplitMix, depth: Int = 0) -> (JSONValue, Any) {
        let keyChars = Array("abcxyz019. ")
        func key() -> String { String((0..<Int.random(in: 0...6, using: &rng)).map { _ in keyChars.randomElement(using: &rng)! }) }
        switch Int.random(in: depth > 3 ? 2...7 : 0...7, using: &rng) {
        case 0:
            var o: [String: JSONValue] = [:], f: [String: Any] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                let k = key(); let (v, fv) = randomDocument(&rng, depth: depth + 1); o[k] = v; f[k] = fv
            }
            return (.object(o), f)
        case 1:
            let items = (0..<Int.random(in: 0...4, using: &rng)).map { _ in randomDocument(&rng, depth: depth + 1) }
            return (.array(items.map(\.0)), items.map(\.1))
        case 2:
            let s = PlainSwiftTests.randomText(&rng, maxPieces: 5) + (Bool.random(using: &rng) ? "\u{1}\u{1f}\u{8}\u{c}\u{7f}\\/" : "")
            return (.string(s), s)
        case 3:
            let ms = Double(Int.random(in: 0...50_000_000, using: &rng)) / 1000
            return (.number(ms), ms)
        case 4:
            let d = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng))
            guard d.isFinite else { return (.null, NSNull()) }
            return (.number(d), d)
        case 5:
            let i = Int.random(in: -1000...1000, using: &rng)
            return (.number(i), i)
        case 6:
            let b = Bool.random(using: &rng)
            return (.bool(b), b)
        default:
            return (.null, NSNull())
        }
    }

    @Test func writesWhatJSONSerializationWrites() throws {
        var rng = SplitMix(state: 11)
        for _ in 0..<1500 {
            let (value, foundation) = Self.randomDocument(&rng)
            let data = try JSONSerialization.data(withJSONObject: foundation,
                                                  options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
            // Ours also escapes DEL, C1 and the bidi controls (issue 29): the same values.
            var foundationText = ""
            for scalar in String(decoding: data, as: UTF8.self).unicodeScalars {
                if scalar.value >= 0x7F && TerminalSafe.needsShowing(scalar, keepNewlines: true) {
                    let hex = String(scalar.value, radix: 16)
                    foundationText += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    foundationText.unicodeScalars.append(scalar)
                }
            }
            #expect(value.prettyText() == foundationText)
        }
    }

    @Test func keysSortDigitsByValueOtherwiseByCodePoint() throws {
        // JSONSerialization's own order for these keys (it compares case- and accent-blind
        // beyond them, which prettyText does not: "B" and "_" below).
        let keys = [".1", "0", "00", "0a", "00a", "1", "01", "001", "1 ", "1.5", "1.10", "1a", "1z", "9", "9z", "10", "10a",
                    "a", "a b", "a.b", "a0", "a00", "a1", "a01", "a9", "a10", "ab", "z"]
        #expect(keys.shuffled().sorted(by: JSONValue.keyPrecedes) == keys)
        var foundation: [String: Any] = [:]
        for k in keys { foundation[k] = 1 }
        let data = try JSONSerialization.data(withJSONObject: foundation, options: [.prettyPrinted, .sortedKeys])
        #expect(JSONValue.object(Dictionary(uniqueKeysWithValues: keys.map { ($0, JSONValue.number(1)) })).prettyText()
                == String(decoding: data, as: UTF8.self))
        let doc = JSONValue.object(["b": .number(1), "B": .number(2), "_": .number(3), "é": .number(4), "a": .object([:]), "c": .array([])])
        #expect(doc.prettyText() == "{\n  \"B\" : 2,\n  \"_\" : 3,\n  \"a\" : {\n\n  },\n  \"b\" : 1,\n  \"c\" : [\n\n  ],\n  \"é\" : 4\n}")
        #expect(JSONValue.number(2.0).prettyText() == "2")
        #expect(JSONValue.number(-0.0).prettyText() == "-0")
        #expect(JSONValue.number(1e15).prettyText() == "1000000000000000")
        #expect(JSONValue.number(1e16).prettyText() == "1e+16")
        #expect(JSONValue.number(0.00001).prettyText() == "1e-05")
        #expect(JSONValue.number(.nan) == .null)
        #expect(JSONValue.string("a\"\\\n\u{1}/").prettyText() == "\"a\\\"\\\\\\n\\u0001/\"")
    }

    @Test func escapesNumbersAndSurrogates() throws {
        let v = try JSONLite.parse(Array(#" {"a\u00e9\ud83d\ude00": [1, -0.5e2, 16060522496, true, null, "x\n\"\\/"]} "#.utf8))
        #expect(v["aé😀"] == .array([.number(text: "1", value: 1), .number(text: "-0.5e2", value: -50),
                                      .number(text: "16060522496", value: 16_060_522_496), .bool(true), .null, .string("x\n\"\\/")]))
        #expect(try JSONLite.parse(Array(#"{"metadata": {"total_size": 16060522496}}"#.utf8))["metadata"]?["total_size"]?.uint64 == 16_060_522_496)
        #expect(try JSONLite.parse(Array(#""\ud800x""#.utf8)) == .string("\u{FFFD}x"))   // a lone surrogate
    }

    @Test func malformedInputIsAnErrorWithItsOffset() {
        let cases: [(String, Int)] = [("{\"a\": 1,}", 8), ("[1 2]", 3), ("\"open", 5), ("{\"a\" 1}", 5), ("01", 1),
                                      ("1.", 2), ("-", 1), ("tru", 3), ("\"\u{1}\"", 1), ("{} x", 3), ("", 0), ("\"\\x\"", 3)]
        for (text, offset) in cases {
            #expect(throws: JSONLiteError.self, "\(text)") { try JSONLite.parse(Array(text.utf8)) }
            do { _ = try JSONLite.parse(Array(text.utf8)) } catch let e as JSONLiteError { #expect(e.offset == offset, "\(text): \(e)") } catch {}
            // Foundation accepts a trailing comma; Python's json (what transformers and vLLM
            // read the index with) refuses it, as RFC 8259 does, and so do we.
            if text.hasSuffix(",}") { continue }
            let foundation = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            #expect(foundation == nil, "JSONSerialization accepts \(text.debugDescription)")
        }
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONLiteError.self) { try JSONLite.parse(Array(deep.utf8)) }
        let fine = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect((try? JSONLite.parse(Array(fine.utf8))) != nil)
    }
}

@Suite("pthread locks, latch and threads")
struct SyncTests {
    @Test func aLatchWaitsUntilSignalledOrTimesOut() {
        let latch = Latch()
        let started = Monotonic.now()
        #expect(latch.wait(timeout: 0.05) == false)
        #expect(Monotonic.now() - started >= 0.05)
        #expect(DetachedThread.start { usleep(20_000); latch.signal() })
        #expect(latch.wait(timeout: 5) == true)
        #expect(latch.wait(timeout: 0) == true)   // stays signalled
        #expect(latch.wait(timeout: 1e300) == true)   // a deadline no timespec holds: no trap
        #expect(latch.wait(timeout: .nan) == true)
    }

    @Test func threadsShareALockedCounter() {
        let lock = PosixLock()
        final class Box: @unchecked Sendable { var n = 0 }
        let box = Box()
        let done = (0..<4).map { _ in Latch() }
        for d in done {
            #expect(DetachedThread.start { for _ in 0..<10_000 { lock.withLock { box.n += 1 } }; d.signal() })
        }
        for d in done { #expect(d.wait(timeout: 10)) }
        #expect(lock.withLock { box.n } == 40_000)
    }
}
