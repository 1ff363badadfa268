import Foundation
import Testing
import TestSupport
@testable import DoctorCore
import SystemProbes
@testable import Runbook
import Basics

/// Hostile input, round 2: huggingface_hub still reads HUGGING_FACE_HUB_TOKEN, and the tool
/// neither counted it as a token nor masked its value.
@Suite("secrets: all three token names")
struct LegacyTokenTests {
    @Test(arguments: ["HF_TOKEN", "HUGGINGFACE_HUB_TOKEN", "HUGGING_FACE_HUB_TOKEN"])
    func eachNameIsASecretEverywhere(name: String) throws {
        let tmp = TempDir("tok")
        // Not of the hf_ form, so only the name makes it a secret.
        let value = "PlainLegacyValue\(name.count)xyz"
        let root = makeRunbook(tmp, extraEnv: "\(name)=\(value)\n")
        let context = RunbookFacts(options: .init(root: root), processEnvironment: [:])
        #expect(context.secretValues.contains(value))
        let report = try #require(try runChecks(context, only: ["secrets.env"])["secrets.env"])
        #expect(report.result.evidence["token"] == "\(name) set at line 8 (value hidden)")
        let redact = Redactor(secrets: context.secretValues)
        #expect(redact("server said: token=\(value)") == "server said: token=***redacted***")
        // And from the environment alone, as bench's children inherit it.
        let fromShell = RunbookFacts(options: .init(root: tmp.path), processEnvironment: [name: value])
        #expect(fromShell.secretValues == [value])
    }
}
