import ArgumentParser
import Testing
import TestSupport
@testable import sllm_doctor

/// `check` skips ArgumentParser on its fast path; both parsers must read every command line
/// the same way, and the fast one must hand anything else back.
@Suite("check's fast argument path")
struct FastParseTests {
    static let lines: [[String]] = [
        [],
        ["--json"],
        ["-v", "--strict", "--offline", "--list"],
        ["--root", "/srv/bench", "--env-file", "/srv/bench/.env.prod"],
        ["--root=/srv/bench", "--only=storage,model", "--only", "env"],
        ["--skip", "gpu", "--ignore", "all", "--timeout", "2.5"],
        ["--mountinfo", "/tmp/mi", "--sys-block", "/tmp/sb", "--udev-data", "/tmp/ud", "--device", "/dev/nvme1n1"],
        ["--verbose", "--timeout=7"],
        ["--profile", "prebaked", "--json"],
        ["--profile=standard"],
    ]

    @Test(arguments: lines)
    func bothParsersAgree(_ args: [String]) throws {
        let fast = try #require(CheckRun.fastParse(args))
        let slow = try CheckCommand.parse(args).options
        #expect(fast == slow)
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
