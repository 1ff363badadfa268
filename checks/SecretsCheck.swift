import DoctorCore
import SystemProbes

/// The HF token stays out of git and out of other users' reach. Its value is never put in
/// evidence; the renderers mask it anyway.
public struct SecretsCheck: Check {
    public let id = "secrets.env"
    public let title = ".env with the HF token is private and untracked"
    public let area = CheckArea.secrets
    public let dependsOn = ["env.file"]
    public init() {}

    public func run(_ context: CheckContext) throws -> CheckResult {
        if context.usingRunbookDefaults { return .skip("no .env yet: nothing of yours holds a token") }
        guard let env = context.env else { return .skip("no .env") }
        var evidence = Evidence()
        let tokenKeys = env.entries.filter { CheckContext.secretKeys.contains($0.key) && !$0.value.isEmpty }
        evidence["token"] = tokenKeys.isEmpty ? "not set" : tokenKeys.map { "\($0.key) set at line \($0.line) (value hidden)" }.joined(separator: "; ")
        let facts = FileFacts.facts(env.path)
        evidence["mode"] = String(facts.mode, radix: 8)
        evidence["owner"] = FileFacts.userName(facts.ownerUID)

        // Tracked by git? Ask git itself, in the file's own repository.
        let dir = FileFacts.parent(of: env.path)
        let name = String(env.path.split(separator: "/").last ?? ".env")
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
        if facts.isWorldReadable && !tokenKeys.isEmpty {
            return .warn("\(context.display(env.path)) holds a token and is readable by every user (mode \(String(facts.mode, radix: 8)))",
                         evidence: evidence, fix: "chmod 600 \(env.path)")
        }
        if facts.isWorldReadable {
            return .warn("\(context.display(env.path)) is readable by every user (mode \(String(facts.mode, radix: 8)))",
                         evidence: evidence, fix: "chmod 600 \(env.path)")
        }
        return .pass(tokenKeys.isEmpty ? "no token in .env; file private and untracked" : "token kept private: file mode \(String(facts.mode, radix: 8)), untracked", evidence: evidence)
    }
}
