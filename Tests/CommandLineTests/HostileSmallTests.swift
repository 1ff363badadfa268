import Foundation
import Testing
import TestSupport
import SystemProbes
import Basics

/// Hostile input, round 2, the small ones: each message and help text as a user meets it.
@Suite("hostile input: messages and help")
struct HostileSmallTests {
    @Test func parserErrorsSayErrorOnce() {
        let r = doctor(["bench", "--runs"])
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("sllm-doctor: error: Missing value for '--runs <runs>'"), "\(r.stderr)")
        #expect(!r.stderr.contains("Error: "))
    }

    @Test(arguments: [(["bench", "--runs", "-1"], "--runs -1: expected 1-1000"),
                      (["check", "--timeout", "-1"], "--timeout -1.0: expected seconds"),
                      (["probe", "--url", "http://127.0.0.1:9", "--max-tokens", "-5"], "--max-tokens -5: expected 1-65536"),
                      (["probe", "--url", "http://127.0.0.1:9", "--ready-timeout", "-1"], "--ready-timeout -1.0: expected 0.1-86400 seconds")])
    func aNegativeNumberIsJudgedNotTakenForAFlag(args: [String], message: String) {
        let tmp = TempDir("neg")
        let r = doctor(args + (args[0] == "probe" ? [] : ["--root", tmp.path]), timeout: 20)
        #expect(r.status == 2)
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    @Test func rootHelpStatesItsDefaultOnce() {
        let help = doctor(["check", "--help"]).stdout
        let rootHelp = help.components(separatedBy: "--root <root>")[1].components(separatedBy: "--env-file")[0]
        #expect(rootHelp.components(separatedBy: "default").count == 2, "\(rootHelp)")
    }

    @Test func fixHelpDoesNotPromiseCheckBehaviour() {
        let help = doctor(["fix", "--help"]).stdout
        let envHelp = help.components(separatedBy: "--env-file <env-file>")[1].components(separatedBy: "--mount")[0]
        #expect(!envHelp.contains("check"), "\(envHelp)")
        #expect(help.contains("never acts on the runbook's defaults"))
    }

    /// Every option of every subcommand has help text, and every one a user types appears in
    /// the README's synopsis of its command (the list comes from the command's own help).
    @Test(arguments: ["check", "fix", "bench", "probe", "synth-model", "anatomy", "startup"])
    func everyFlagIsExplainedAndInTheReadme(command: String) throws {
        let help = doctor([command, "--help"]).stdout
        let options = help.components(separatedBy: "OPTIONS:").last ?? ""
        let lines = options.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let readme = try String(contentsOfFile: FileFacts.parent(of: fixturesDir) + "/../README.md", encoding: .utf8)
        for (i, line) in lines.enumerated() where line.hasPrefix("  --") || line.hasPrefix("  -") {
            let flag = String(line.dropFirst(2).prefix { $0 != " " && $0 != "," })
            if ["--help", "-h", "--version"].contains(flag) { continue }
            let rest = line.dropFirst(2 + flag.count).trimmingCharacters(in: .whitespaces)
            let described = rest.split(separator: " ", maxSplits: 1).count > 1 || (rest.split(separator: " ").count == 1 && !rest.hasPrefix("<"))
                || (i + 1 < lines.count && lines[i + 1].hasPrefix("      ") && !lines[i + 1].trimmingCharacters(in: .whitespaces).hasPrefix("(default"))
            #expect(described, "\(command) \(flag) has no help text")
            #expect(readme.contains(flag), "README's \(command) synopsis misses \(flag)")
        }
    }
}
