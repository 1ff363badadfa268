import Foundation
import Testing
import TestSupport
import DoctorCore
import Runbook
import Basics
import Checks
import SystemProbes

/// Issue 30: one reading of a runbook variable. env.values, storage, model and bench read
/// `.env` → environment → defaults through `RunbookFacts.reading`; env.values names the source.
@Suite("one reading of a runbook variable (issue 30)")
struct OneReadingTests {
    /// `.env` without MODEL_FOLDER; the folder comes from the environment.
    func runbook(_ tmp: TempDir) -> (root: String, models: String) {
        let root = makeRunbook(tmp)
        let env = try! String(contentsOfFile: root + "/.env", encoding: .utf8)
        let models = env.split(separator: "\n").first { $0.hasPrefix("MODEL_FOLDER=") }!.dropFirst("MODEL_FOLDER=".count)
        tmp.write("repo/.env", env.split(separator: "\n").filter { !$0.hasPrefix("MODEL_FOLDER=") }.joined(separator: "\n") + "\n", mode: 0o600)
        return (root, String(models))
    }

    func context(_ root: String, _ environment: [String: String]) -> RunbookFacts {
        RunbookFacts(options: .init(root: root), processEnvironment: ["PATH": "/usr/bin:/bin"].merging(environment) { $1 })
    }

    /// MODEL_FOLDER set only in the environment: every reader takes it, env.values too, and
    /// says it came from the environment.
    @Test func aFolderOnlyInTheEnvironmentIsReadTheSameEverywhere() throws {
        let tmp = TempDir()
        let (root, models) = runbook(tmp)
        let c = context(root, ["MODEL_FOLDER": models])
        #expect(c.modelFolder == models)
        #expect(c.reading("MODEL_FOLDER") == RunbookVariable(key: "MODEL_FOLDER", value: models, written: models, source: .environment))
        #expect(c.storageFolders.contains { $0.key == "MODEL_FOLDER" && $0.path == models })
        let values = try #require(try runChecks(c, only: ["env.values"])["env.values"]).result
        #expect(values.status == .pass, "\(values.summary)")
        #expect(values.evidence["MODEL_FOLDER"] == models)
        #expect(values.evidence["MODEL_FOLDER from"] == "the environment")
        #expect(values.evidence["HF_CACHE_FOLDER from"] == ".env:1")
    }

    /// Set in both: `.env` wins for every reader, and env.values says so.
    @Test func dotEnvWinsOverTheEnvironmentForEveryReader() throws {
        let tmp = TempDir()
        let root = makeRunbook(tmp)
        let c = context(root, ["MODEL_FOLDER": "/elsewhere/models", "MODEL_NAME": "other/model"])
        let folder = try #require(c.modelFolder)
        #expect(folder.hasSuffix("/nvme/sllm-models"))
        #expect(c.modelName == "meta-llama/Llama-3.1-8B-Instruct")
        let values = try #require(try runChecks(c, only: ["env.values"])["env.values"]).result
        #expect(values.status == .pass, "\(values.summary)")
        #expect(values.evidence["MODEL_FOLDER"] == folder)
        #expect(values.evidence["MODEL_FOLDER from"] == ".env:1")
        #expect(values.evidence["MODEL_NAME from"] == ".env:3")
    }

    /// A relative path from the environment is named with its source, not a line of `.env`.
    @Test func aBadValueFromTheEnvironmentIsNamedWithItsSource() throws {
        let tmp = TempDir()
        let (root, _) = runbook(tmp)
        let values = try #require(try runChecks(context(root, ["MODEL_FOLDER": "models"]), only: ["env.values"])["env.values"]).result
        #expect(values.status == .fail)
        #expect(values.summary == "MODEL_FOLDER 'models' from the environment is not an absolute path", "\(values.summary)")
    }

    /// Set nowhere: not set, in words that name both places looked in.
    @Test func setNowhereIsNotSet() throws {
        let tmp = TempDir()
        let (root, _) = runbook(tmp)
        let values = try #require(try runChecks(context(root, [:]), only: ["env.values"])["env.values"]).result
        #expect(values.status == .fail)
        #expect(values.summary == "MODEL_FOLDER is not set in .env or the environment", "\(values.summary)")
    }
}
