import Foundation
import Testing
@testable import DoctorCore
@testable import Basics

/// Hostile input, round 3 (issue 29): the one terminal sanitiser, the text type that keeps the
/// tool's colour apart from what it repeats, and redaction of values before encoding.
@Suite("terminal: sanitiser and redaction")
struct TerminalSafeTests {
    @Test func everyControlHasAnExactVisibleForm() {
        let hostile = "a\u{1B}]0;pwned\u{07}b\u{1B}[2J\rc\u{7F}\u{9B}31m\u{202E}d\u{2066}\u{0}\ne\tf"
        #expect(TerminalSafe.visible(hostile) == "a^[]0;pwned^Gb^[[2J^Mc^?<U+009B>31m<U+202E>d<U+2066>^@^Je^If")
        #expect(TerminalSafe.visible(hostile, keepNewlines: true) == "a^[]0;pwned^Gb^[[2J^Mc^?<U+009B>31m<U+202E>d<U+2066>^@\ne\tf")
        #expect(TerminalSafe.visible("plain ✓ text") == "plain ✓ text")
        // Idempotent: what it shows holds no control.
        #expect(TerminalSafe.visible(TerminalSafe.visible(hostile)) == TerminalSafe.visible(hostile))
    }

    @Test func invisibleFormatCharactersAndTabsInAFieldAreShown() {
        // A black-box pass found these printed raw: a zero-width space, a byte-order mark and a
        // tab inside a model name, a host or a check id.
        #expect(TerminalSafe.line("o/a\u{FEFF}F\u{200B}G\tH\u{2060}") == "o/a<U+FEFF>F<U+200B>G^IH<U+2060>")
        #expect(TerminalSafe.visible("a\tb\nc", keepNewlines: true) == "a\tb\nc")
    }

    @Test func aTokenEqualToAKeyDoesNotRenameTheKey() {
        let doc = JSONValue.object(["duration_ms": .number(1), "evidence": .object(["duration_ms": .string("duration_ms")]),
                                    "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567": .number(2)])
        let out = Redactor(secrets: ["duration_ms"]).json(doc)
        #expect(out["duration_ms"] != nil)
        #expect(out["evidence"]?["duration_ms"]?.string == "***redacted***")
        #expect(out.object?.keys.contains("hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567") == false)
    }

    @Test func aLongFieldIsCutAtACharacterAndCounted() {
        let text = String(repeating: "é", count: 3000)   // 6000 bytes
        #expect(TerminalSafe.capped(text) == String(repeating: "é", count: 2048) + " … (1904 bytes cut)")
        #expect(TerminalSafe.capped("short") == "short")
    }

    @Test func eightMegabytesOfEscapesAreShownInLinearTime() {
        let text = String(repeating: "\u{1B}[2J", count: 2 << 20)
        let started = Date()
        let shown = TerminalSafe.visible(text)
        #expect(shown.utf8.count == text.utf8.count + (2 << 20))
        #expect(TerminalSafe.line(text) == String(repeating: "^[[2J", count: 1024) + " … (8384512 bytes cut)")
        #expect(Date().timeIntervalSince(started) < 20)
    }

    @Test func onlyTheToolsOwnColourIsAnEscapeCode() {
        let foreign = "x\u{1B}[32m[✓]\u{1B}[0m\ny"
        let text: TerminalText = "\(TerminalText.styled(.red, "[✗]")) node: \(foreign)\n"
        #expect(text.rendered(color: true) == "\u{1B}[31m[✗]\u{1B}[0m node: x^[[32m[✓]^[[0m^Jy\n")
        #expect(text.rendered(color: false) == "[✗] node: x^[[32m[✓]^[[0m^Jy\n")
        // Foreign parts are redacted; the tool's own words never are.
        let counted: TerminalText = "3 passed: \("passed")\n"
        #expect(counted.rendered(color: false) { $0.replacingEvery("passed", with: "***") } == "3 passed: ***\n")
        // Foreign lines: indented, capped in count.
        let block: TerminalText = "  k: \(TerminalText.foreignLines("a\rb\nc\nd", indent: "    ", maxLines: 2))\n"
        #expect(block.rendered(color: false) == "  k: a^Mb\n    c\n    … and 1 more lines\n")
    }

    @Test func theHumanReportShowsForeignTextOnItsOwnLine() {
        let report = CheckReport(id: "env.values", title: "t", area: .env,
                                 result: .fail("bad\r\u{1B}[1A[✓] fine\n    [✓] env.file: ok", evidence: ["k": "one\ntwo\u{1B}[2J"], fix: "\u{1B}]0;x\u{07}fix"),
                                 durationMs: 0.5)
        let text = HumanRenderer(verbose: true, color: false, redact: Redactor(secrets: [])).render([report])
        #expect(text == """
        [✗] Configuration (.env)
            [✗] env.values: bad^M^[[1A[✓] fine^J    [✓] env.file: ok
                duration: 0.500 ms
                k: one
                  two^[[2J
                fix: ^[]0;x^Gfix

        0 passed, 0 warnings, 1 failed, 0 skipped

        """)
    }

    @Test func theJSONWriterEscapesC1AndBidiControls() throws {
        let value = JSONValue.string("a\u{9B}b\u{202E}c\u{7F}d\u{1B}")
        let text = value.prettyText()
        #expect(text == #""a\u009bb\u202ec\u007fd\u001b""#)
        #expect(try JSONLite.parse(Array(text.utf8)) == value)
    }

    @Test func redactionRunsOnValuesBeforeEncoding() throws {
        let token = #"se"cr\et-value-1"#
        let redact = Redactor(secrets: [token, "null", "pass"])
        #expect(redact.tooShort == 2)
        let document: JSONValue = .object(["status": .string("pass"), "fix": .null,
                                           "summary": .string("token \(token) seen"), "evidence": .object([token: .string("x")])])
        let text = redact.json(document).prettyText()
        #expect(text == """
        {
          "evidence" : {
            "***redacted***" : "x"
          },
          "fix" : null,
          "status" : "pass",
          "summary" : "token ***redacted*** seen"
        }
        """)
        // A long token that is an own word stays in the tool's own fields.
        let long = Redactor(secrets: ["standard"])
        #expect(long.json(.object(["profile": .string("standard"), "summary": .string("a standard b")]))
                == .object(["profile": .string("standard"), "summary": .string("a ***redacted*** b")]))
    }

    @Test func authorizationCredentialsAreMasked() {
        let redact = Redactor(secrets: [])
        #expect(redact("proxy: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.c2Vj refused") == "proxy: Authorization: Bearer ***redacted*** refused")
        #expect(redact("authorization=Basic dXNlcjpwYXNz") == "authorization=Basic ***redacted***")
        #expect(redact("AUTHORIZATION: abc123") == "AUTHORIZATION: ***redacted***")
        #expect(redact("header bearer abcdefgh12345678 end") == "header bearer ***redacted*** end")
        // Prose stays prose.
        #expect(redact("send a bearer token in the header") == "send a bearer token in the header")
        #expect(redact("no authorization here") == "no authorization here")
        // Linear: a megabyte of repeated prefixes.
        let started = Date()
        _ = redact(String(repeating: "Authorization Bearer ", count: 50_000))
        #expect(Date().timeIntervalSince(started) < 10)
    }
}
