import Foundation
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

/// compose v1's reading of a dotenv file (`DotEnvDialect.composeV1`) against python-dotenv
/// itself, as docker-compose 1.29 calls it, on texts where the grammars part ways.
@Suite("docker-compose v1's dotenv reading agrees with python-dotenv")
struct PythonDotEnvTests {
    static let texts: [String] = [
        "A=${PROOF_RUN:-1}\n", "A='${PROOF_RUN:-1}'\n", "A=\"${PROOF_RUN:-1}\"\n", "A=0\rB=1\n", "A=1\r\nB=2\rC=3",
        "A=$SHELLVAR\nB=${SHELLVAR}\nC=${SHELLVAR:-d}\n", "S=file\nP=${S}\n", "E=\nF=${E:-dflt}\nG=${E-dflt}\n",
        "A=a # c\nB=a#b\nC= #x\nD=\t# y\n", "export A=1\nexport\tB=2\nexportC=3\n", "'Q K'=1\n'NOPE\n",
        "A='it\\'s'\nB=\"q\\\"x\\n\\t\\a\"\nC='a\\\\'\n", "A='open\\'\nB=2\n", "A=\"multi\nline\"\nB=${A}\n", "A='x'garbage\nB=2\n",
        "JUSTKEY\nC=${JUSTKEY:-d}\n", "=novalue\nB=1\n", "A=${X:-${Y:-nested}}\n", "A=${A:?x}\nB=${}\nC=${:-d}\n", "\u{FEFF}A=1\n",
        "A=1\u{0B}\u{0C}\nB=\u{A0}2\u{A0}\n", "  # c\n\n\tA = 1 \n", "A=${SHELLVAR:-x}${SHELLVAR}\n",
    ]

    static let hasPythonDotEnv = sh("python3 -c 'import dotenv' 2>/dev/null").0 == 0

    @Test(.enabled(if: hasPythonDotEnv, "python3-dotenv not installed (make deps installs docker-compose, which needs it)"))
    func everyTextReadsAsPythonDotEnvReadsIt() throws {
        let tmp = TempDir()
        for (i, text) in Self.texts.enumerated() { tmp.write("\(i).env", text) }
        // One interpreter for every text: key → value (None for a key without '='), in order.
        let script = """
        import dotenv, json, os, sys
        out = []
        for i in range(\(Self.texts.count)):
            d = dotenv.dotenv_values(dotenv_path=os.path.join(sys.argv[1], f"{i}.env"), encoding="utf-8-sig", interpolate=True)
            out.append([[k, v] for k, v in d.items()])
        print(json.dumps(out))
        """
        tmp.write("read.py", script)
        let (status, output) = sh("env -i SHELLVAR=fromshell python3 \(tmp.path)/read.py \(tmp.path) 2>/dev/null")
        #expect(status == 0)
        let json = output.split(separator: "\n").last.map(String.init) ?? ""     // after python-dotenv's own warnings
        guard case .array(let files)? = try? JSONLite.parse(Array(json.utf8)) else { Issue.record("no JSON: \(output)"); return }
        let shell: [String: ComposeInterpolation.Binding] = ["SHELLVAR": .init(value: "fromshell", source: "the shell")]
        try #require(files.count == Self.texts.count, "python-dotenv answered for \(files.count) of \(Self.texts.count) texts")
        for (i, text) in Self.texts.enumerated() {
            guard case .array(let pairs) = files[i] else { Issue.record("text \(i): no list"); continue }
            let theirs = pairs.map { p -> String in
                guard case .array(let kv) = p else { return "?" }
                return "\(kv[0].string ?? "?")=\(kv[1].string.map { $0.debugDescription } ?? "None")"
            }
            let ours = DotEnvDialect.composeV1.read(text, path: "x.env", display: "x.env", lookup: { shell[$0] })
                .map { "\($0.key)=\($0.value.map { $0.debugDescription } ?? "None")" }
            // python-dotenv's dict keeps the last value of a key at its first place.
            var seen: [String: Int] = [:]
            var merged: [String] = []
            for entry in ours {
                let key = String(entry.prefix { $0 != "=" })
                if let at = seen[key] { merged[at] = entry } else { seen[key] = merged.count; merged.append(entry) }
            }
            #expect(merged == theirs, "text \(i) \(text.debugDescription)")
        }
    }

    /// Linear in the text: an opening `${` with no close, repeated, and quotes full of escapes.
    @Test func worstCaseTextsAreLinear() {
        let open = "A=" + String(repeating: "${", count: 200_000) + "\n"
        let quotes = "A='" + String(repeating: "\\'", count: 200_000) + "\n"
        let started = Date()
        let a = DotEnvDialect.composeV1.read(open, path: "x", display: "x", lookup: { _ in nil })
        let b = DotEnvDialect.composeV1.read(quotes, path: "x", display: "x", lookup: { _ in nil })
        #expect(a.first?.value == String(repeating: "${", count: 200_000))
        #expect(b.count == 1)
        #expect(Date().timeIntervalSince(started) < 20, "a quadratic reader takes minutes here")
    }
}
