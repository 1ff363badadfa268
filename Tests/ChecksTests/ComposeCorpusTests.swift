import Foundation
import Testing
import TestSupport
@testable import DoctorCore
@testable import Runbook
import Basics
import Checks
import SystemProbes

/// The in-process compose validation and environment resolution against the real compose CLIs
/// on a corpus of compose files, valid and invalid, the runbook's own among them
/// (Tests/Fixtures/compose-corpus/<case>/docker-compose.yml, with its .env and the files it
/// names): docker-compose v1 (1.29, installed by `make deps`) and compose v2 (Debian trixie's
/// plugin, put in a private DOCKER_CONFIG by scripts/compose-v2-plugin.sh). A case on which a
/// CLI and our validation disagree fails the test, whichever way; so does any variable of any
/// service whose value (or absence) differs from what that CLI's `config` prints.
@Suite("compose validation and environments agree with docker-compose v1 and v2")
struct ComposeCorpusTests {
    static let corpus = fixture("compose-corpus")
    static let v1: String? = {
        guard let path = ChildProcess.resolve("docker-compose"),
              (FileFacts.readSmall(path, limit: 256) ?? "").contains("python") else { return nil }
        return path
    }()
    /// A DOCKER_CONFIG holding compose v2's plugin (scripts/with-test-docker.sh exports it).
    static let v2Config: String? = {
        guard let dir = ProcessInfo.processInfo.environment["SLLM_COMPOSE_V2_CONFIG"],
              FileFacts.isFile(dir + "/cli-plugins/docker-compose"), ChildProcess.resolve("docker") != nil else { return nil }
        return dir
    }()
    static var v2Missing: String {
        "compose v2 not available (\(ProcessInfo.processInfo.environment["SLLM_COMPOSE_V2_SKIP"] ?? "run through scripts/with-test-docker.sh, which fetches it"))"
    }
    static var cases: [String] { (FileFacts.names(in: corpus) ?? []).filter { !$0.hasPrefix(".") }.sorted() }
    /// The shell both sides see: nothing that could fill in a variable by chance.
    static let shell = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": "/nonexistent"]

    static func dotenvText(_ name: String) -> String? {
        let path = corpus + "/" + name + "/.env"
        return FileFacts.isFile(path) ? try? BoundedRead.text(path, limit: EnvFile.sizeLimit) : nil
    }

    static func interpolation(_ name: String, _ dialect: DotEnvDialect) -> ComposeInterpolation {
        var i = ComposeInterpolation(ComposeEnvironmentResolver.variables(
            dotenvText: dotenvText(name), dotenvPath: corpus + "/" + name + "/.env", dotenvDisplay: ".env", shell: shell, dialect: dialect))
        i.allowsAlternatives = dialect == .composeV2
        i.strayDollarIsText = dialect == .composeV2
        return i
    }

    /// Our verdict: nil when the file is accepted (no error, no warning), else the findings.
    static func ours(_ name: String, generation: Int = 1) -> [String]? {
        let dir = corpus + "/" + name
        do {
            let document = try ComposeDocument.load(path: dir + "/docker-compose.yml")
            let findings = ComposeValidation.validate(document, interpolation: interpolation(name, DotEnvDialect(generation: generation)),
                                                      generation: generation)
            return findings.isEmpty ? nil : findings.map(\.text)
        } catch {
            return [error.description]
        }
    }

    /// Our environment of each service: name → variable → value (nil: passed through unset).
    static func ourEnvironments(_ name: String, _ dialect: DotEnvDialect) throws -> [String: [String: String?]] {
        let document = try ComposeDocument.load(path: corpus + "/" + name + "/docker-compose.yml")
        let shellOnly = ComposeEnvironmentResolver.shellBindings(shell)
        let resolver = ComposeEnvironmentResolver(interpolation: interpolation(name, dialect), dialect: dialect, shell: { shellOnly[$0] })
        var out: [String: [String: String?]] = [:]
        for service in resolver.resolveAll(document) {
            out[service.name] = service.variables.mapValues { v in
                switch v.value {
                case .set(let s): return Optional(s)
                case .passThroughUnset: return String?.none
                case .unresolved(let why): return Optional("unresolved: \(why)")
                }
            }
        }
        return out
    }

    /// A CLI's `config` for every case, four at a time: name → (exit status, output or last lines).
    static func theirs(_ dialect: DotEnvDialect, into dir: TempDir) -> [String: (status: Int32, text: String)] {
        let command = dialect == .composeV1 ? "env -i PATH=\"$PATH\" HOME=/nonexistent \(v1 ?? "docker-compose")"
                                            : "env -i PATH=\"$PATH\" HOME=/nonexistent DOCKER_CONFIG='\(v2Config ?? "")' docker compose"
        let script = """
        cd '\(corpus)' && ls | xargs -P 4 -I{} sh -c 'cd "{}" && ef=; [ -f .env ] && ef="--env-file .env"; \
        \(command) -f docker-compose.yml $ef config >"\(dir.path)/{}.out" 2>"\(dir.path)/{}.err"; echo $? >"\(dir.path)/{}.rc"'
        """
        _ = sh(script)
        var verdicts: [String: (Int32, String)] = [:]
        for name in cases {
            guard let rc = FileFacts.readSmall("\(dir.path)/\(name).rc", limit: 64).flatMap({ Int32($0.trimmingSpaces(newlines: true)) }) else { continue }
            let out = FileFacts.readSmall("\(dir.path)/\(name).\(rc == 0 ? "out" : "err")", limit: 1 << 20) ?? ""
            verdicts[name] = (rc, rc == 0 ? out : out.split(separator: "\n").suffix(2).joined(separator: " "))
        }
        return verdicts
    }

    /// The environments `config` printed: service → variable → value (nil: `null`).
    static func environments(ofConfig path: String) throws -> [String: [String: String?]] {
        let document = try ComposeDocument.load(path: path)
        var out: [String: [String: String?]] = [:]
        for (name, raw) in document.services ?? [:] {
            var env: [String: String?] = [:]
            for (k, v) in raw["environment"]?.mapping ?? [:] {
                env[k.replacingEvery("$$", with: "$")] = v.isNull ? .some(nil) : ComposeFile.scalarText(v).replacingEvery("$$", with: "$")
            }
            out[name] = env
        }
        return out
    }

    func compare(_ dialect: DotEnvDialect) throws {
        let tmp = TempDir()
        let names = Self.cases
        let theirs = Self.theirs(dialect, into: tmp)
        let label = dialect == .composeV1 ? "v1" : "v2"
        #expect(names.count >= 30, "the corpus has \(names.count) cases")
        #expect(theirs.count == names.count, "\(label) answered for \(theirs.count) of \(names.count) cases")
        var disagreements: [String] = []
        var accepted = 0, rejected = 0, variables = 0
        for name in names {
            guard let their = theirs[name] else { continue }
            let our = Self.ours(name, generation: dialect.rawValue)
            if their.status == 0 { accepted += 1 } else { rejected += 1 }
            switch (our, their.status == 0) {
            case (nil, false): disagreements.append("\(name): \(label) rejects (\(their.text)), we accept")
            case (let ours?, true): disagreements.append("\(name): \(label) accepts, we reject: \(ours.joined(separator: " | "))")
            default: break
            }
            if dialect == .composeV1 {
                // The corpus names its cases by v1's verdict, so a change in v1 shows here too.
                #expect(name.hasPrefix(their.status == 0 ? "valid-" : "invalid-"), "\(name): v1 says \(their.status == 0 ? "accepted" : their.text)")
            }
            guard their.status == 0, our == nil else { continue }
            // Every variable of every service `config` prints (v2 leaves out services whose
            // profile is not enabled), as we resolve it.
            let printed = try Self.environments(ofConfig: "\(tmp.path)/\(name).out")
            let resolved = try Self.ourEnvironments(name, dialect)
            for (service, env) in printed.sorted(by: { $0.key < $1.key }) {
                let mine = resolved[service] ?? [:]
                for key in Set(env.keys).union(mine.keys).sorted() {
                    variables += 1
                    let a = env[key].map { $0 ?? "(passed through, unset)" } ?? "(absent)"
                    let b = mine[key].map { $0 ?? "(passed through, unset)" } ?? "(absent)"
                    if a != b { disagreements.append("\(name): \(service).\(key): \(label) gives \(a.debugDescription), we give \(b.debugDescription)") }
                }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreement(s) with \(label):\n\(disagreements.joined(separator: "\n"))")
        #expect(accepted >= 10 && rejected >= 5 && variables >= 40, "accepted \(accepted), rejected \(rejected), variables compared \(variables)")
    }

    @Test(.enabled(if: v1 != nil, "docker-compose v1 not installed (make deps installs it)"))
    func everyCaseGetsV1sVerdictAndEnvironment() throws { try compare(.composeV1) }

    /// CI (SLLM_REQUIRE_DOCKER=1) fails here when v2 could not be fetched, instead of skipping.
    @Test(.enabled(if: v2Config != nil || TestDocker.required, "compose v2 not fetched (scripts/with-test-docker.sh fetches it)"))
    func everyCaseGetsV2sVerdictAndEnvironment() throws {
        try #require(Self.v2Config != nil, "\(Self.v2Missing)")
        try compare(.composeV2)
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
