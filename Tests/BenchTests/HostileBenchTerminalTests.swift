import Foundation
import Testing
import TestSupport
@testable import Bench
@testable import Basics
import SystemProbes

/// Hostile input, round 3 (issue 29): a crashed server's last lines are shown on bench's
/// terminal with their controls visible; a log line cannot clear the screen or retitle it.
@Suite("hostile input: bench's terminal", .serialized)
struct HostileBenchTerminalTests {
    @Test func aCrashedServersLogTailIsShownNotRun() throws {
        let tmp = TempDir()
        let root = benchRepo(tmp)
        // A "server" that writes a clear screen, a title and a CR, then dies before ready.
        let script = tmp.write("crash.py", "import sys\nsys.stderr.write('boom\\x1b[2J\\x1b]0;pwned\\x07\\r[ok] ready\\u202e\\n')\nsys.exit(3)\n")
        let plan = tmp.write("plan.yaml", """
        variants:
          - name: baseline
            port: \(freePort())
            command: [python3, \(script)]

        """)
        let r = doctor(["bench", "--root", root, "--plan", plan, "--runs", "1", "--ignore", "storage", "--results-dir", tmp.path + "/results"])
        #expect(r.status == 1)
        #expect(!r.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x0D || $0.value == 0x202E }, "\(r.stderr.debugDescription)")
        #expect(r.stderr.contains("    │ boom^[[2J^[]0;pwned^G^M[ok] ready<U+202E>"), "\(r.stderr)")
    }
}
