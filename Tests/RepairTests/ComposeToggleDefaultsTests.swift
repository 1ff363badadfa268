import Foundation
import Testing
import TestSupport
@testable import DoctorCore
@testable import Runbook
import Basics
import Checks
import Repair
import SystemProbes

/// The compose-toggle repair and offline.compose agree on what a per-run switch is: a true
/// default (`${HF_HUB_OFFLINE:-1}`) is rewritten to `${HF_HUB_OFFLINE:-0}`, not "nothing to do".
@Suite("fix: compose-toggle and true defaults")
struct ComposeToggleDefaultsTests {
    @Test func aTrueDefaultIsRewrittenAndTheCheckThenPasses() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let path = tmp.write("repo/vllm_bridge/docker-compose.yml", """
        services:
          vllm_baseline:
            image: vllm/vllm-openai
            environment:
              HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-1}
              TRANSFORMERS_OFFLINE: ${TRANSFORMERS_OFFLINE-true}
        """)
        var shell = ProcessInfo.processInfo.environment
        for k in offlineFlagNames { shell[k] = nil }
        let ctx = RunbookFacts(options: .init(root: repo), processEnvironment: shell)
        #expect(try runChecks(ctx, only: ["offline.compose"])["offline.compose"]?.result.status == .fail)
        guard case .change = try ComposeToggleAction().plan(ctx, FixOptions()) else { Issue.record("expected a change"); return }
        _ = try ComposeToggleAction().apply(ctx, FixOptions())
        let edited = try String(contentsOfFile: path, encoding: .utf8)
        #expect(edited.contains("HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-0}") && edited.contains("TRANSFORMERS_OFFLINE: ${TRANSFORMERS_OFFLINE:-0}"), "\(edited)")
        let after = RunbookFacts(options: .init(root: repo), processEnvironment: shell)
        #expect(try runChecks(after, only: ["offline.compose"])["offline.compose"]?.result.status == .pass)
    }

    @Test func whatCountsAsASwitch() {
        #expect(isTogglableReference("${HF_HUB_OFFLINE:-0}", name: "HF_HUB_OFFLINE"))
        #expect(isTogglableReference("${HF_HUB_OFFLINE-false}", name: "HF_HUB_OFFLINE"))
        #expect(isTogglableReference("${HF_HUB_OFFLINE}", name: "HF_HUB_OFFLINE"))
        #expect(!isTogglableReference("${HF_HUB_OFFLINE:-1}", name: "HF_HUB_OFFLINE"))
        #expect(!isTogglableReference("${HF_HUB_OFFLINE:-On}", name: "HF_HUB_OFFLINE"))
        #expect(!isTogglableReference("${HF_HUB_OFFLINE:-${PROOF:-1}}", name: "HF_HUB_OFFLINE"))
        #expect(!isTogglableReference("1", name: "HF_HUB_OFFLINE"))
    }
}
