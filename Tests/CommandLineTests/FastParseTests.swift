import ArgumentParser
import Testing
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
    ]

    @Test(arguments: lines)
    func bothParsersAgree(_ args: [String]) throws {
        let fast = try #require(CheckRun.fastParse(args))
        let slow = try CheckCommand.parse(args).options
        #expect(fast == slow)
    }

    @Test(arguments: [["--help"], ["-h"], ["--bogus"], ["--root"], ["--timeout", "soon"], ["--json=yes"], ["extra"], ["--only", "--json"]])
    func anythingElseGoesToArgumentParser(_ args: [String]) {
        #expect(CheckRun.fastParse(args) == nil)
    }
}
