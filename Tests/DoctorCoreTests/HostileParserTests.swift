import Foundation
import Testing
import TestSupport
@testable import DoctorCore
import SystemProbes
@testable import Runbook
@testable import Basics

private let token = "hf_PlantedTokenAbcdefghijklmnop1234"

/// Random text built from the characters that matter to these grammars.
private func randomText(_ rng: inout some RandomNumberGenerator, length: Int, alphabet: [String]) -> String {
    (0..<length).map { _ in alphabet.randomElement(using: &rng)! }.joined()
}

@Suite("hostile input: the .env grammar")
struct HostileEnvTests {
    static let alphabet = ["A", "b", "_", "=", " ", "\t", "#", "'", "\"", "\\", "$", "{", "}", "\n", "\r\n", "export ", "1", "é", token]

    /// Property: any text parses without trapping; every error names a line of the file and
    /// never quotes a token; every entry's line is a line of the file.
    @Test func anyTextParsesAndErrorsNeverQuoteTheText() {
        var rng = SplitMix(state: 20261124)
        for _ in 0..<3000 {
            let text = randomText(&rng, length: Int.random(in: 0...120, using: &rng), alphabet: Self.alphabet)
            let env = EnvFile.parse(text, path: "/x/.env")
            let lineCount = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).count
            for e in env.errors {
                #expect((1...max(1, lineCount)).contains(e.line), "\(text.debugDescription)")
                #expect(!e.description.contains(token), "\(text.debugDescription)")
            }
            for e in env.entries { #expect((1...max(1, lineCount)).contains(e.line)) }
        }
    }

    @Test func anInvalidKeyIsDescribedNotEchoed() {
        let env = EnvFile.parse("\(token) MODEL=1\nHF TOKEN=x\n9LIVES=1\n", path: "/x/.env")
        #expect(env.errors.count == 3)
        #expect(env.errors[0].message.contains("a space at character 36"))
        #expect(env.errors[2].message.contains("starts with a digit"))
        #expect(!env.errors.map(\.description).joined().contains(token))
    }

    /// An unterminated quote used to rescan everything after it for each line: quadratic. The
    /// scan is now linear, which this size shows without a clock: 200,000 lines after the quote.
    @Test(.timeLimit(.minutes(1))) func anUnterminatedQuoteIsLinear() {
        let tail = String(repeating: "KEY=value with text\n", count: 200_000)
        let env = EnvFile.parse("A=\"never closed\n" + tail, path: "/x/.env")
        #expect(env.errors.count == 1)
        #expect(env.errors[0].message.contains("unterminated double quote"))
        #expect(env.entries.isEmpty)
    }

    @Test func absurdSizesAreRejectedNotTrapped() {
        #expect(parseByteSize("99999999999999999999999TB") == nil)
        #expect(parseByteSize("18446744073709551616") == nil)
        #expect(parseByteSize("32GB") == 32_000_000_000)
    }
}

@Suite("hostile input: YAML")
struct HostileYAMLTests {
    @Test func complexKeysAndAliasBombsAreRefusedWithALine() {
        #expect { try SafeYAML.load("a: 1\n? [x, y]\n: z\n", path: "f.yml") } throws: { "\($0)" == "f.yml:2: a mapping key must be a plain name ('?' explicit keys are not read)" }
        #expect { try SafeYAML.load("a: 1\n{[x, y]: z}: 2\n", path: "f.yml") } throws: { "\($0)" == "f.yml:2: a mapping key must be a plain name, not a mapping" }
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        var previous = "a"
        for n in ["b", "c", "d", "e", "f", "g", "h", "i", "j"] {
            bomb += "\(n): &\(n) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
            previous = n
        }
        #expect { try SafeYAML.load(bomb, path: "f.yml") } throws: { "\($0)".contains("alias bomb") }
        // Ordinary anchors and merge keys (the runbook's compose file) still work.
        let v = try? SafeYAML.load("x: &e {A: '1', B: 2}\ns:\n  <<: *e\n  B: 3\n", path: "f.yml")
        #expect(v?["s"] == .mapping(["A": .string("1"), "B": .int(3)]))
    }

    /// Property: random YAML-ish text never traps; it loads or fails with a LoadError whose
    /// message does not quote the text.
    @Test func anyTextLoadsOrFailsCleanly() {
        var rng = SplitMix(state: 7)
        let alphabet = ["a", ":", " ", "\n", "- ", "? ", "&x ", "*x", "<<", "[", "]", "{", "}", ",", "'", "\"", "!!map ", "!!int ", "1e999", ".nan", "|", ">", "#", token]
        var loaded = 0, refused = 0
        for _ in 0..<3000 {
            let text = randomText(&rng, length: Int.random(in: 0...60, using: &rng), alphabet: alphabet)
            do { _ = try SafeYAML.load(text, path: "f.yml"); loaded += 1 }
            catch let e as SafeYAML.LoadError { refused += 1; #expect(!e.description.contains(token), "\(text.debugDescription)") }
            catch { Issue.record("unexpected error type for \(text.debugDescription): \(error)") }
        }
        #expect(loaded > 0 && refused > 0)
    }

    @Test func aComposeFileWithAComplexKeyFailsItsCheckAlone() throws {
        let tmp = TempDir()
        let root = makeRunbook(tmp)
        tmp.write("repo/vllm_bridge/docker-compose.yml", "services:\n  vllm_baseline:\n    image: vllm\n    ? [a, b]\n    : c\n")
        let r = doctor(["check", "--root", root, "--json"])
        #expect(r.status == 1)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let checks = try #require(obj["checks"] as? [[String: Any]])
        let compose = try #require(checks.first { $0["id"] as? String == "offline.compose" })
        #expect(compose["status"] as? String == "fail")
        #expect((compose["summary"] as? String)?.contains("docker-compose.yml:4: a mapping key must be a plain name") == true)
        #expect(checks.count > 10)
    }
}

@Suite("token mask")
struct TokenMaskTests {
    /// The byte scan against the regex it replaces, on texts dense in near-tokens.
    @Test func theScanMasksExactlyWhatTheRegexMatches() {
        var rng = SystemRandomNumberGenerator()
        let pieces = ["hf_", "h", "f", "_", "A", "z", "9", "hf_0123456789abcdef", "x", " ", "é", "\n", "hf_hf_", "-", "🙂"]
        for _ in 0..<3_000 {
            let text = (0..<Int.random(in: 0...40, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            let oracle = text.replacing(#/hf_[A-Za-z0-9]{16,}/#, with: "***redacted***")
            #expect(Redactor.maskHFTokens(text) == oracle, "\(text)")
        }
        #expect(Redactor.maskHFTokens("token hf_abcdefghijklmnop1 end") == "token ***redacted*** end")
        #expect(Redactor.maskHFTokens("hf_short") == "hf_short")
    }
}

/// The quick form of `make fuzz` for the mount table and the compose reader: random inputs
/// built from each grammar's pieces never trap (the fuzzer runs a million of each).
@Suite("hostile input: mountinfo and compose")
struct HostileMountAndComposeTests {
    @Test func anyMountinfoTextParsesOrFailsCleanly() throws {
        var rng = SplitMix(state: 11)
        let tmp = TempDir()
        let path = tmp.path + "/mountinfo"
        let pieces = ["22", " ", "28", "0:21", "259:1", "/", "/nvme", "/sys", "rw,relatime", "shared:7", "-", "ext4", "/dev/nvme0n1",
                      "\\040", "\\", "\n", "\t", "4294967295:4294967295", "", "::", "x", "/dev/root", "master:1", "optional"]
        var parsed = 0, refused = 0
        for _ in 0..<1500 {
            let text = (0..<Int.random(in: 0...40, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined(separator: Bool.random(using: &rng) ? " " : "")
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            do {
                let table = try MountTable(path: path)
                _ = table.rootMount
                _ = table.mount(containing: "/nvme/sllm-models")
                parsed += 1
            } catch is MountTableError { refused += 1 }
        }
        #expect(parsed + refused == 1500)
        #expect(refused > 0)
    }

    @Test func anyComposeTextParsesOrFailsWithTheFileName() {
        var rng = SplitMix(state: 13)
        let pieces = ["services:", "\n", "  ", "vllm_baseline:", "image: x", "environment:", "- A=1", "HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-0}",
                      "<<: *e", "&e ", "{", "}", "[", "]", "profiles: [a]", "command: [a, b]", "env_file: x", ":", "'", "\"", "null", "~"]
        let valid = "x-e: &e\n  HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-0}\nservices:\n  vllm_baseline:\n    image: x\n    environment:\n      <<: *e\n      A: 1\n    command: [a, b]\n"
        var parsed = 0
        for i in 0..<3000 {
            let text = grammarSample(i, valid: valid, pieces: pieces, maxPieces: 40, using: &rng)
            do { _ = try ComposeFile.parse(text, path: "c.yml"); parsed += 1 }
            catch { #expect("\(error)".hasPrefix("c.yml"), "\(text.debugDescription): \(error)") }
        }
        #expect(parsed > 0)
    }
}

/// Inputs `make fuzz` found that trapped; each stays here once fixed.
@Suite("fuzz regressions")
struct FuzzRegressionTests {
    /// Yams computes YAML 1.1 base-60 ints ("1:2:3") with trapping arithmetic: a long one
    /// crashed the compose and plan readers (fuzz, 2026-11-24). Now it is text, as in compose.
    /// Nested explicit `? - ?` keys: Yams rehashes every nested key at every level; this
    /// 868-byte input took over 5 s (fuzz, 2026-11-24). Refused before Yams sees it.
    @Test func nestedExplicitKeysAreRefusedAtOnce() throws {
        let text = try String(decoding: Data(contentsOf: URL(fileURLWithPath: fixture("fuzz/compose-explicit-keys-timeout.yml"))), as: UTF8.self)
        let started = Date()
        #expect { try ComposeFile.parse(text, path: "c.yml") } throws: { "\($0)".hasPrefix("c.yml:2: a mapping key must be a plain name ('?' explicit keys are not read)") }
        // It took over 5 s before; half of that is a margin a loaded machine does not cross.
        #expect(Date().timeIntervalSince(started) < 2.5)
        // Flow collections nested past the limit are refused before Yams recurses into them.
        let deep = "a: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n"
        #expect { try SafeYAML.load(deep, path: "f.yml") } throws: { "\($0)" == "f.yml:1: nested deeper than 64 levels: refusing" }
        // Quotes, comments and apostrophes do not confuse the scan.
        let v = try SafeYAML.load("a: \"? [not a key\"\nb: it's [1, 2] # ? { comment\nc: '{'\n", path: "f.yml")
        #expect(v?["a"] == .string("? [not a key"))
        #expect(v?["c"] == .string("{"))
    }

    @Test func aLongSexagesimalIntIsTextNotATrap() throws {
        let long = (1...16).map(String.init).joined(separator: ":")
        let v = try SafeYAML.load("a: \(long)\nb: 1:30\nc: 42\n", path: "f.yml")
        #expect(v?["a"] == .string(long))
        #expect(v?["b"] == .string("1:30"))
        #expect(v?["c"] == .int(42))
        #expect(throws: Never.self) { _ = try ComposeFile.parse("services:\n  x:\n    image: a\n    command: \(long)\n", path: "c.yml") }
    }
}
