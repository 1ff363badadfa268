import Foundation
import Testing
import TestSupport
@testable import DoctorCore
@testable import Runbook
import Basics
import SystemProbes

@Suite("compose interpolation and the environment resolver")
struct ComposeInterpolationTests {
    static let vars: [String: ComposeInterpolation.Binding] = [
        "SET": .init(value: "v", source: "the shell"),
        "EMPTY": .init(value: "", source: ".env:2"),
        "ONE": .init(value: "1", source: ".env:3"),
    ]
    func run(_ text: String) throws(ComposeInterpolation.Failure) -> String {
        try ComposeInterpolation(Self.vars).interpolate(text).value
    }

    @Test func eachOperatorAsComposeReadsIt() throws {
        let cases: [(String, String)] = [
            ("plain", "plain"), ("$$", "$"), ("a$$b", "a$b"), ("$$SET", "$SET"), ("$SET", "v"), ("${SET}", "v"),
            ("$SET.x", "v.x"), ("${NOPE}", ""), ("$NOPE", ""),
            ("${SET:-d}", "v"), ("${EMPTY:-d}", "d"), ("${NOPE:-d}", "d"),
            ("${SET-d}", "v"), ("${EMPTY-d}", ""), ("${NOPE-d}", "d"),
            ("${SET:?m}", "v"), ("${EMPTY?m}", ""), ("${SET:+alt}", "alt"), ("${EMPTY:+alt}", ""), ("${EMPTY+alt}", "alt"),
            ("${NOPE:-${ONE}}", "1"), ("${NOPE:-${NADA:-0}}", "0"), ("${NOPE:-a b c}", "a b c"), ("x${ONE}y$ONE", "x1y1"),
        ]
        for (text, expected) in cases { #expect(try run(text) == expected, "\(text)") }
    }

    @Test func errorsAsComposeRaisesThem() {
        for bad in ["$", "a$", "$-", "$1", "${}", "${ SET}", "${SET", "${SET:x}", "${1A}", "${SET:-x"] {
            #expect(throws: ComposeInterpolation.Failure.self, "\(bad)") { try run(bad) }
        }
        #expect(throws: ComposeInterpolation.Failure.missingRequired(name: "NOPE", message: "say it")) { try run("${NOPE:?say it}") }
        #expect(throws: ComposeInterpolation.Failure.missingRequired(name: "EMPTY", message: "not set or empty")) { try run("${EMPTY:?}") }
        #expect(throws: ComposeInterpolation.Failure.missingRequired(name: "NOPE", message: "not set")) { try run("${NOPE?}") }
    }

    @Test func usesNameWhereEachValueCameFrom() throws {
        let (value, uses) = try ComposeInterpolation(Self.vars).interpolate("${HF_HUB_OFFLINE:-${ONE}}")
        #expect(value == "1")
        #expect(uses.map(\.name) == ["HF_HUB_OFFLINE", "ONE"])
        #expect(uses[0].tookDefault && uses[0].binding == nil)
        #expect(uses[1].binding?.source == ".env:3")
        // A default not taken is not a route.
        #expect(try ComposeInterpolation(Self.vars).interpolate("${SET:-${ONE}}").uses.map(\.name) == ["SET"])
    }

    @Test func boundedOnNestingAndSize() {
        let deep = String(repeating: "${A:-", count: 50) + "x" + String(repeating: "}", count: 50)
        #expect(throws: ComposeInterpolation.Failure.self) { try run(deep) }
        var limits = ComposeInterpolation.Limits()
        limits.maxOutputBytes = 64
        let big = ComposeInterpolation(["X": .init(value: String(repeating: "x", count: 40), source: "t")], limits: limits)
        #expect(throws: ComposeInterpolation.Failure.self) { try big.interpolate("$X$X") }
    }

    /// Property: a text assembled from pieces whose meaning is known interpolates to the
    /// pieces' meanings joined; a text with a stray `$` piece is an error, never a crash.
    @Test func assembledTextsInterpolateToTheirPiecesMeaning() throws {
        let pieces: [(String, String)] = [
            ("a", "a"), (" ", " "), ("-", "-"), (":", ":"), ("}", "}"), ("{", "{"), ("$$", "$"), ("${SET}", "v"), ("$ONE", "1"),
            ("${NOPE:-d}", "d"), ("${EMPTY:-d}", "d"), ("${EMPTY-d}", ""), ("${NOPE-}", ""), ("${SET:?m}", "v"),
            ("${NOPE:-${ONE:-z}}", "1"), ("${SET:+y}", "y"), ("ü", "ü"),
        ]
        var rng = SplitMix(state: 25)
        for _ in 0..<5_000 {
            var text = "", expected = ""
            for _ in 0..<Int.random(in: 0...8, using: &rng) {
                let p = pieces.randomElement(using: &rng)!
                // "$" then a piece starting with a name byte would read as one longer reference.
                if text.hasSuffix("$ONE") && p.0.first.map({ $0.isLetter || $0.isNumber || $0 == "_" }) == true { continue }
                text += p.0; expected += p.1
            }
            #expect(try run(text) == expected, "\(text)")
            let broken = text + "$"
            #expect(throws: ComposeInterpolation.Failure.self, "\(broken)") { try run(broken) }
        }
    }

    @Test func theResolverMergesExtendsEnvFilesAndEnvironmentInComposesOrder() throws {
        let tmp = TempDir()
        tmp.write("p/a.env", "X=from-a\nY=from-a\nZ=${X}-z\n")
        tmp.write("p/b.env", "Y='from-b $X'\n")
        tmp.write("p/base.yml", "services:\n  base:\n    env_file: a.env\n    environment: {W: base, V: base}\n")
        let path = tmp.write("p/docker-compose.yml", """
        services:
          app:
            extends: { file: base.yml, service: base }
            env_file: [b.env]
            environment:
              V: own
              PASS:
        """)
        let resolver = ComposeEnvironmentResolver(interpolation: ComposeInterpolation(["PASS": .init(value: "p", source: "the shell")]))
        let app = resolver.resolve(service: "app", in: try ComposeDocument.load(path: path))
        #expect(app.problems.isEmpty, "\(app.problems)")
        let values = app.variables.mapValues { $0.setValue }
        #expect(values == ["X": "from-a", "Y": "from-b $X", "Z": "from-a-z", "W": "base", "V": "own", "PASS": "p"])
        #expect(app.variables["W"]?.via == ["extends base in \(tmp.path)/p/base.yml (\(path):3)"])
        #expect(app.variables["Y"]?.line == 1 && app.variables["Y"]?.file.hasSuffix("b.env") == true)
        #expect(app.variables["PASS"]?.passedFrom == "the shell")
    }

    @Test func documentLinesPointAtKeysAndAnchors() throws {
        let doc = try ComposeDocument.parse("""
        x-env: &env
          A: ${A:-1}
        services:
          s:
            environment:
              <<: *env
              B: 2
            env_file:
              - one.env
        """, path: "c.yml")
        #expect(doc.line("services", "s", "environment", "A") == 2)
        #expect(doc.line("services", "s", "environment", "B") == 7)
        #expect(doc.line("services", "s", "env_file") == 8)
        #expect(doc.line("services", "s", "env_file", "0") == 9)
    }

    @Test func composeFilesThatAreNotFilesAreRefusedWithoutWaiting() throws {
        let tmp = TempDir()
        let fifo = tmp.path + "/fifo.yml"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: ComposeFile.ParseError.self) { try ComposeDocument.load(path: fifo) }
        #expect(throws: ComposeFile.ParseError.self) { try ComposeDocument.load(path: "/dev/zero") }
        symlink(tmp.path + "/nowhere", tmp.path + "/dangling.yml")
        do { _ = try ComposeDocument.load(path: tmp.path + "/dangling.yml"); Issue.record("loaded a dangling link") }
        catch { #expect(error.message.contains("a symbolic link to \(tmp.path)/nowhere, which does not exist"), "\(error)") }
        let bad = tmp.write("bad.yml", "services:\n  a:\n    image: x\n")
        try Data([0x73, 0x3a, 0x0a, 0xff, 0xfe]).write(to: URL(fileURLWithPath: bad))
        do { _ = try ComposeDocument.load(path: bad); Issue.record("loaded invalid UTF-8") }
        catch { #expect(error.description == "\(bad): not UTF-8 text (invalid bytes at offset 3)") }
    }
}
