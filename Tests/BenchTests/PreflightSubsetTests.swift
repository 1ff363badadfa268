import Foundation
import Testing
import TestSupport
@testable import Bench
@testable import DoctorCore
@testable import Runbook
@testable import Basics

/// Issue 30: bench's preflight runs the checks it is given (a named subset, `CheckSubset`),
/// and ignores only what `--ignore` names: no check id is ignored behind the user's back.
@Suite("bench preflight: the checks it is given, nothing ignored silently")
struct PreflightSubsetTests {
    struct StandIn: Check {
        let id: String
        let status: CheckStatus
        var title: String { id }
        func run(_ context: RunbookFacts) throws -> CheckResult {
            status == .fail ? .fail("docker compose: not found") : .pass("ok")
        }
    }

    @Test func aFailingComposeCheckGivenToAPlainPlanIsAFailureNotAWarning() throws {
        let tmp = TempDir()
        let context = RunbookFacts(options: .init(root: tmp.path))
        let plan = try BenchPlan.parse("variants:\n  - {name: plain, port: 8001, command: [python3, x]}\n",
                                       path: tmp.path + "/plan.yaml", context: context)
        #expect(!plan.usesCompose)
        let checks: [any Check<RunbookFacts>] = [StandIn(id: "runtime.compose", status: .fail), StandIn(id: "runtime.ports", status: .pass)]
        // Before: the preflight added runtime.compose to --ignore for such a plan and went on.
        guard case .failed(let failures) = try BenchPreflight.judge(context, plan: plan, checks: checks, ignore: []) else {
            Issue.record("a failing check given to the preflight was ignored"); return
        }
        #expect(failures.map(\.id) == ["runtime.compose"])
        // The user's --ignore still turns it into a warning.
        guard case .ready(let counts) = try BenchPreflight.judge(context, plan: plan, checks: checks, ignore: ["runtime.compose"]) else {
            Issue.record("--ignore runtime.compose did not lift it"); return
        }
        #expect(counts.warn == 1 && counts.pass == 1)
    }
}
