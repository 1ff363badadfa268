import Testing
import TestSupport
@testable import DoctorCore
@testable import Runbook
import Basics

struct DotEnvGrammarCase: CustomTestStringConvertible, Sendable {
    var name: String
    var text: String
    var expected: [String: String]
    var errorLines: [Int] = []
    var testDescription: String { name }
}

@Suite("docker compose .env grammar")
struct DotEnvTests {
    static let cases: [DotEnvGrammarCase] = [
        .init(name: "plain", text: "A=1\nB=two words\n", expected: ["A": "1", "B": "two words"]),
        .init(name: "comments and blanks", text: "# c\n\n   # indented\nA=1\n", expected: ["A": "1"]),
        .init(name: "export prefix", text: "export A=1\nexport\tB=2\n", expected: ["A": "1", "B": "2"]),
        .init(name: "inline comment", text: "A=value # note\nB=a#b\nC= # only comment\n", expected: ["A": "value", "B": "a#b", "C": ""]),
        .init(name: "single quotes literal", text: "A='x # y \\n $Z'\n", expected: ["A": "x # y \\n $Z"]),
        .init(name: "double quote escapes", text: "A=\"l1\\nl2\\t\\\"q\\\" \\\\ \\$X\"\n", expected: ["A": "l1\nl2\t\"q\" \\ $X"]),
        .init(name: "quoted then comment", text: "A=\"v\" # c\n", expected: ["A": "v"]),
        .init(name: "multi-line double", text: "A=\"first\nsecond\"\nB=3\n", expected: ["A": "first\nsecond", "B": "3"]),
        .init(name: "CRLF", text: "A=1\r\nB='2'\r\n", expected: ["A": "1", "B": "2"]),
        .init(name: "BOM", text: "\u{FEFF}A=1\n", expected: ["A": "1"]),
        .init(name: "spaces around =", text: "A = 1\n", expected: ["A": "1"]),
        .init(name: "empty value", text: "A=\n", expected: ["A": ""]),
        .init(name: "missing =", text: "A=1\nJUSTTEXT\nB=2\n", expected: ["A": "1", "B": "2"], errorLines: [2]),
        .init(name: "bad key", text: "1A=x\nA-B C=y\n", expected: [:], errorLines: [1, 2]),
        .init(name: "unterminated quote", text: "A=\"open\nB=2\n", expected: [:], errorLines: [1]),
        .init(name: "text after quote", text: "A='v'x\nB=1\n", expected: ["B": "1"], errorLines: [1]),
    ]

    @Test(arguments: cases)
    func grammar(_ c: DotEnvGrammarCase) {
        let env = EnvFile.parse(c.text, path: "/x/.env")
        #expect(env.values == c.expected)
        #expect(env.errors.map(\.line) == c.errorLines)
    }

    @Test func errorsNameFileLineAndExpectedForm() {
        let env = EnvFile.parse("A=1\n\nnot an assignment\n", path: "/repo/.env")
        #expect(env.errors.count == 1)
        #expect(env.errors[0].description == "/repo/.env:3: no '=' on this line (expected KEY=VALUE)")
    }

    @Test func referencesAndDuplicates() {
        let env = EnvFile.parse("A=$HOME/x\nB=\"${HF_TOKEN}\"\nC='$LIT'\nD=\"\\$ESC\"\nA=2\n", path: "e")
        #expect(env.entry("B")?.references == ["HF_TOKEN"])
        #expect(env.entries.first?.references == ["HOME"])
        #expect(env.entry("C")?.references == [])
        #expect(env.entry("D")?.references == [])
        #expect(env.duplicates.map(\.key) == ["A"])
        #expect(env.duplicates.first?.lines == [1, 5])
        #expect(env["A"] == "2")
    }

    @Test func linesCountFromQuotedValueStart() {
        let env = EnvFile.parse("A=\"a\nb\nc\"\nB=1\n", path: "e")
        #expect(env.entry("B")?.line == 4)
    }

    @Test func truthyFlagsAndSizes() {
        for v in ["1", "on", "YES", "True", " true "] { #expect(isTruthyFlag(v)) }
        for v in ["0", "no", "", "false", "2"] { #expect(!isTruthyFlag(v)) }
        #expect(parseByteSize("32GB") == 32_000_000_000)
        #expect(parseByteSize("128MB") == 128_000_000)
        #expect(parseByteSize("4GiB") == UInt64(4) << 30)
        #expect(parseByteSize("32 XB") == nil)
        #expect(parseByteSize("GB") == nil)
    }
}
