import ArgumentParser
import Foundation
import Testing
import TestSupport
@testable import sllm_doctor
import SystemProbes

/// `check` skips ArgumentParser on its fast path; both parsers must read every command line
/// the same way, and the fast one must hand anything else back.
@Suite("check's fast argument path")
struct FastParseTests {
    /// check's flags as ArgumentParser defines them (its JSON description of the command), help
    /// aside: a flag added to `CheckCommand` and not to the fast path fails here.
    static let flags: [(names: [String], takesValue: Bool, value: String)] = {
        let root = try! JSONSerialization.jsonObject(with: Data(CheckCommand._dumpHelp().utf8)) as! [String: Any]
        let arguments = (root["command"] as! [String: Any])["arguments"] as! [[String: Any]]
        return arguments.compactMap { a in
            let names = (a["names"] as? [[String: Any]] ?? []).compactMap { n -> String? in
                guard let name = n["name"] as? String else { return nil }
                return (n["kind"] as? String) == "short" ? "-" + name : "--" + name
            }
            // An option with a fixed set of values (--profile) gets its last, not the default.
            let value = (a["allValues"] as? [String])?.last ?? "7"
            return names.contains("--help") ? nil : (names, (a["kind"] as? String) == "option", value)
        }
    }()

    /// Each name of each flag alone (an option also as `--name=value`), then all of them at once.
    /// "7" reads as a path, a list item and a timeout alike.
    static let lines: [[String]] = {
        var lines: [[String]] = [[]]
        for flag in flags {
            for name in flag.names {
                lines.append(flag.takesValue ? [name, flag.value] : [name])
                if flag.takesValue && name.hasPrefix("--") { lines.append([name + "=" + flag.value]) }
            }
        }
        lines.append(flags.flatMap { $0.takesValue ? [$0.names[0], $0.value] : [$0.names[0]] })
        return lines
    }()

    @Test func theFlagsComeFromTheCommand() {
        let names = Set(Self.flags.flatMap(\.names))
        for known in ["--root", "--env-file", "--json", "-v", "--verbose", "--timeout", "--only", "--sys-block"] {
            #expect(names.contains(known), "\(known) not in \(names.sorted())")
        }
    }

    @Test(arguments: lines)
    func bothParsersAgree(_ args: [String]) throws {
        let fast = try #require(CheckRun.fastParse(args))
        let slow = try CheckCommand.parse(args).options
        #expect(fast == slow)
        #expect(args.isEmpty || fast != CheckRun(), "\(args) read as the defaults")
    }

    @Test(arguments: [["--help"], ["-h"], ["--bogus"], ["--root"], ["--timeout", "soon"], ["--json=yes"], ["extra"], ["--only", "--json"], ["--profile", "prebake"]])
    func anythingElseGoesToArgumentParser(_ args: [String]) {
        #expect(CheckRun.fastParse(args) == nil)
    }

    /// A timeout that cannot be waited on is the user's typo, named with its flag (1e300 used to
    /// trap in the runner's clock).
    @Test(arguments: ["1e300", "inf", "nan", "0", "-1", "86401"])
    func anUnusableTimeoutIsAUsageError(_ value: String) {
        #expect(CheckRun.fastParse(["--timeout", value]) == nil)
        let r = doctor(["check", "--timeout", value, "--root", "/tmp"])
        #expect(r.status == 2, "\(value): \(r.status) \(r.stderr)")
        // ("-1" reads as a flag to ArgumentParser: "Missing value for '--timeout'".)
        #expect(r.stderr.hasPrefix("sllm-doctor: error:") && r.stderr.contains("--timeout"), "\(r.stderr)")
    }
}
