import DoctorCore
import SystemProbes
import Runbook
import Basics

/// The HF token stays out of git and out of other users' reach. Its value is never put in
/// evidence; the renderers mask it anyway.
public struct SecretsCheck: Check {
    public let id = "secrets.env"
    public let title = ".env with the HF token is private and untracked"
    public let mayBlock = true
    public let dependsOn = ["env.file"]
    public init() {}

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        if context.usingRunbookDefaults { return .skip("no .env yet: nothing of yours holds a token") }
        guard let env = context.env else { return .skip("no .env") }
        var evidence = Evidence()
        let tokenKeys = env.entries.filter { RunbookFacts.secretKeys.contains($0.key) && !$0.value.isEmpty }
        evidence["token"] = tokenKeys.isEmpty ? "not set" : tokenKeys.map { "\($0.key) set at line \($0.line) (value hidden)" }.joined(separator: "; ")
        let facts = FileFacts.facts(env.path)
        evidence["mode"] = String(facts.mode, radix: 8)
        evidence["owner"] = FileFacts.userName(facts.ownerUID)

        // Tracked by git? Ask git itself, in the file's own repository.
        let dir = FileFacts.parent(of: env.path)
        let name = String(env.path.split(separator: "/").last ?? ".env")
        // Outside a work tree there is nothing to ask git (and no process to start).
        guard FileFacts.gitWorkTree(containing: dir) != nil || context.processEnvironment["GIT_DIR"] != nil else {
            evidence["git"] = "not a git repository"
            return privacy(env, facts, tokenKeys.isEmpty, evidence, context)
        }
        switch context.commands.run(["git", "-C", dir, "ls-files", "--error-unmatch", "--", name], timeout: 3) {
        case .success(let out) where out.status == 0:
            evidence["git"] = "tracked"
            return .fail("\(context.display(env.path)) is tracked by git: the token is in the history", evidence: evidence,
                         fix: "git rm --cached \(name) && echo \(name) >> .gitignore; then rotate the token")
        case .success(let out):
            evidence["git"] = out.stderr.contains("not a git repository") ? "not a git repository" : "not tracked"
        case .failure:
            evidence["git"] = "git not available"
        }
        return privacy(env, facts, tokenKeys.isEmpty, evidence, context)
    }

    func privacy(_ env: EnvFile, _ facts: PathFacts, _ noToken: Bool, _ evidence: Evidence, _ context: RunbookFacts) -> CheckResult {
        if facts.isWorldReadable && !noToken {
            return .warn("\(context.display(env.path)) holds a token and is readable by every user (mode \(String(facts.mode, radix: 8)))",
                         evidence: evidence, fix: "chmod 600 \(env.path)")
        }
        if facts.isWorldReadable {
            return .warn("\(context.display(env.path)) is readable by every user (mode \(String(facts.mode, radix: 8)))",
                         evidence: evidence, fix: "chmod 600 \(env.path)")
        }
        return .pass(noToken ? "no token in .env; file private and untracked" : "token kept private: file mode \(String(facts.mode, radix: 8)), untracked", evidence: evidence)
    }
}
