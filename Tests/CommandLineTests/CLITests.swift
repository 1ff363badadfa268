import Foundation
import Testing
import TestSupport
@testable import DoctorCore
import Checks
@testable import SystemProbes
@testable import Runbook
@testable import Basics

@Suite("the sllm-doctor command line")
struct CLITests {
    static let token = "hf_SuperSecretTokenValue0123456789"

    @Test func tokenNeverAppearsInAnyOutputMode() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp, extraEnv: "HF_TOKEN=\(Self.token)\nHF_TOKEN=\(Self.token)x\nBROKEN \(Self.token)\n",
                               token: Self.token)
        chmod(repo + "/.env", 0o644)
        for args in [["check"], ["check", "-v"], ["check", "--json"], ["check", "-v", "--json"], ["check", "--only", "env,secrets", "-v"]] {
            let r = doctor(args + ["--root", repo], env: ["HUGGINGFACE_HUB_TOKEN": Self.token])
            #expect(!r.stdout.isEmpty)
            #expect(!r.stdout.contains("SuperSecret"), "token leaked with \(args)")
            #expect(!r.stderr.contains("SuperSecret"), "token leaked on stderr with \(args)")
        }
        let clean = TempDir()
        let cleanRepo = makeRunbook(clean, token: Self.token)
        let v = doctor(["check", "-v", "--only", "secrets", "--root", cleanRepo])
        #expect(v.stdout.contains("HUGGINGFACE_HUB_TOKEN set at line 8 (value hidden)"), "\(v.stdout)")
        #expect(!v.stdout.contains("SuperSecret"))
    }

    @Test func jsonDocumentShapeAndExitCodes() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let r = doctor(["check", "--json", "--root", repo, "--mountinfo", fixture("mountinfo-azure-nvme.txt")])
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["tool"] as? String == "sllm-doctor")
        #expect(obj["version"] as? String == Tool.version)
        let checks = try #require(obj["checks"] as? [[String: Any]])
        #expect(checks.count == allChecks.count)
        for c in checks {
            for key in ["id", "title", "status", "summary", "evidence", "fix"] { #expect(c[key] != nil, "\(key) missing") }
        }
        let counts = try #require(obj["counts"] as? [String: Int])
        #expect(counts.values.reduce(0, +) == allChecks.count)
        // Folders in a temp dir are not on /nvme of that captured table → storage.mount fails.
        #expect(r.status == (counts["fail"]! > 0 ? 1 : 0))

        #expect(doctor(["check", "--only", "nope", "--root", repo]).status == 2)
        #expect(doctor(["check", "--bogus-flag"]).status == 2)
        #expect(doctor(["check", "--mountinfo", "/no/such/file", "--root", repo]).status == 2)
        let ok = doctor(["check", "--only", "env", "--root", repo])
        #expect(ok.status == 0, "\(ok.stdout)")
        #expect(doctor(["--help"]).status == 0)
    }

    @Test func humanOutputGroupsByAreaWithoutColorWhenPiped() {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let r = doctor(["check", "--root", repo, "-v"])
        #expect(r.stdout.contains("[✓] Configuration (.env)"))
        #expect(r.stdout.contains("    [✓] env.file:"))
        #expect(r.stdout.contains("        MODEL_FOLDER: \(tmp.path)/nvme/sllm-models"))
        #expect(!r.stdout.contains("\u{1B}["))
        let list = doctor(["check", "--list"])
        #expect(list.stdout.contains("storage.mount"))
        #expect(list.status == 0)
    }

    @Test func prerunHookStopsAScriptOnFailure() {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let hook = FileFacts.parent(of: fixturesDir) + "/../scripts/prerun-hook.sh"
        let script = tmp.write("bench.sh", "#!/bin/bash\nset -e\nSLLM_DOCTOR=\(doctorBinary) SLLM_DOCTOR_ARGS='--only env,model.store' source \(hook)\necho BENCH-RAN\n", mode: 0o755)
        // Run through bash, not exec: a test spawning a child at the same moment can hold the freshly
        // written file open for writing (ETXTBSY, seen once in CI).
        let good = sh("cd \(repo) && bash \(script)")
        #expect(good.1.contains("BENCH-RAN"), "\(good.1)")
        tmp.write("nvme/sllm-models/vllm/meta-llama/Llama-3.1-8B-Instruct/config.json", "{}")
        let bad = sh("cd \(repo) && bash \(script)")
        #expect(bad.0 != 0)
        #expect(!bad.1.contains("BENCH-RAN"))
        #expect(bad.1.contains("model.store"))
    }
}
