import Foundation
import Testing
import TestSupport
@testable import DoctorCore
@testable import Runbook
import Basics
import Checks
import SystemProbes

/// The in-process compose validation against the real docker-compose v1 (1.29, installed by
/// `make deps`) on a corpus of compose files, valid and invalid, the runbook's own among them
/// (Tests/Fixtures/compose-corpus/<case>/docker-compose.yml, with its .env and the files it
/// names). A case on which v1 and our validation disagree fails the test, whichever way.
@Suite("compose validation agrees with docker-compose v1")
struct ComposeCorpusTests {
    static let corpus = fixture("compose-corpus")
    static let v1: String? = {
        guard let path = ChildProcess.resolve("docker-compose"),
              (FileFacts.readSmall(path, limit: 256) ?? "").contains("python") else { return nil }
        return path
    }()
    static var cases: [String] { (FileFacts.names(in: corpus) ?? []).filter { !$0.hasPrefix(".") }.sorted() }
    /// The shell both sides see: nothing that could fill in a variable by chance.
    static let shell = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": "/nonexistent"]

    /// Our verdict: nil when the file is accepted (no error, no warning), else the findings.
    static func ours(_ name: String) -> [String]? {
        let dir = corpus + "/" + name
        let dotenv = FileFacts.isFile(dir + "/.env") ? try? EnvFile.load(path: dir + "/.env") : nil
        let interpolation = ComposeInterpolation(ComposeEnvironmentResolver.variables(dotenv: dotenv, dotenvDisplay: ".env", shell: shell))
        do {
            let document = try ComposeDocument.load(path: dir + "/docker-compose.yml")
            let findings = ComposeValidation.validate(document, interpolation: interpolation, generation: 1)
            return findings.isEmpty ? nil : findings.map(\.text)
        } catch {
            return [error.description]
        }
    }

    /// v1's verdicts for every case (two at a time): name → nil (accepted) or its last lines.
    static func theirs() -> [String: String?] {
        let script = """
        cd '\(corpus)' && ls | xargs -P 2 -I{} sh -c 'cd "{}" && ef=; [ -f .env ] && ef="--env-file .env"; \
        out=$(env -i PATH="$PATH" HOME=/nonexistent \(v1 ?? "docker-compose") -f docker-compose.yml $ef config -q 2>&1); \
        echo "{}	$?	$(printf "%s" "$out" | tail -2 | tr "\\n\\t" "  ")"'
        """
        let (_, out) = sh(script)
        var verdicts: [String: String?] = [:]
        for line in out.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 2 else { continue }
            verdicts[parts[0]] = parts[1] == "0" ? .some(nil) : .some(parts.count > 2 ? parts[2] : "exit \(parts[1])")
        }
        return verdicts
    }

    @Test(.enabled(if: v1 != nil, "docker-compose v1 not installed (make deps installs it)"))
    func everyCaseGetsV1sVerdict() throws {
        let names = Self.cases
        let theirs = Self.theirs()
        #expect(names.count >= 30, "the corpus has \(names.count) cases")
        #expect(theirs.count == names.count, "v1 answered for \(theirs.count) of \(names.count) cases")
        var disagreements: [String] = []
        var accepted = 0, rejected = 0
        for name in names {
            guard let their = theirs[name] else { continue }
            let our = Self.ours(name)
            if their == nil { accepted += 1 } else { rejected += 1 }
            switch (our, their) {
            case (nil, let why?): disagreements.append("\(name): v1 rejects (\(why)), we accept")
            case (let ours?, nil): disagreements.append("\(name): v1 accepts, we reject: \(ours.joined(separator: " | "))")
            default: break
            }
            // The corpus names its cases by v1's verdict, so a change in v1 shows here too.
            #expect(name.hasPrefix(their == nil ? "valid-" : "invalid-"), "\(name): v1 says \(their ?? "accepted")")
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreement(s):\n\(disagreements.joined(separator: "\n"))")
        #expect(accepted >= 10 && rejected >= 10, "accepted \(accepted), rejected \(rejected)")
    }

    @Test func everyFindingNamesItsFileAndLine() throws {
        for name in Self.cases where name.hasPrefix("invalid-") && name != "invalid-empty-file" {
            let findings = try #require(Self.ours(name), "\(name) is accepted")
            for f in findings {
                #expect(f.range(of: #"\.(yml|env):\d+: "#, options: .regularExpression) != nil, "\(name): \(f)")
            }
        }
        // Spot checks of the words and lines.
        #expect(Self.ours("invalid-required-unset") == [
            "\(Self.corpus)/invalid-required-unset/docker-compose.yml:5: services.a.volumes[0]: MODEL_FOLDER is required and not set: set MODEL_FOLDER in .env",
        ])
        #expect(Self.ours("invalid-unknown-service-key")?.first?.hasSuffix("docker-compose.yml:4: services.a.enviroment: unknown key 'enviroment': compose refuses the file (a typo?)") == true)
        #expect(Self.ours("invalid-env-file-missing")?.first?.hasSuffix("docker-compose.yml:4: env_file env/missing.env: \(Self.corpus)/invalid-env-file-missing/env/missing.env: no such file") == true,
                "\(Self.ours("invalid-env-file-missing") ?? [])")
    }
}
