import Testing
import TestSupport
@testable import Bench
@testable import DoctorCore
@testable import Runbook
import Basics

/// The plan fixture (also `make fuzz`'s plan seed): a restart, a compose and a wake variant.
@Suite("plan fixture")
struct PlanFixtureTests {
    @Test func threeKindsOfVariant() throws {
        let tmp = TempDir("plan-fixture")
        let plan = try BenchPlan.load(path: fixture("plan-three-kinds.yaml"), context: RunbookFacts(options: .init(root: tmp.path)))
        #expect(plan.runs == 3)
        #expect(plan.variants.map(\.name) == ["baseline", "faststart", "sleep"])
        #expect(plan.variants.map(\.kind) == [.restart, .restart, .wake])
        #expect(plan.variants.map(\.port) == [8001, 8082, 8003])
        #expect(plan.variants[1].serverlessLLM)
        guard case .compose(_, let service, let profile, _, _) = plan.variants[1].launch else {
            Issue.record("faststart: expected a compose launch"); return
        }
        #expect(service == "vllm_faststart" && profile == "faststart")
    }
}
