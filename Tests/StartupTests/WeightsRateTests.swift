import Foundation
import Testing
@testable import Startup
@testable import DoctorCore
@testable import SystemProbes
import TestSupport

/// The weights phase as a rate, and against the pinned host→GPU copy (the floor under loaders).
@Suite("weights as GB/s, and against the pinned copy")
struct WeightsRateTests {
    @Test func theAnatomyGivesTheWeightsPhaseAsARate() throws {
        let tmp = TempDir()
        let l = try LogFileReader.read(tmp.write("log.txt", AnatomyTests.vllm026))
        let a = StartupAnatomy.analyze(lines: l, startedAt: ISO8601DateFormatter().date(from: "2026-11-23T07:40:33Z")!,
                                       readyAt: ISO8601DateFormatter().date(from: "2026-11-23T07:42:24Z")!)
        #expect(a.modelGiB == 14.9889)
        // vLLM's own "Loading weights took 2.63 seconds": 14.9889 GiB / 2.63 s.
        let expected = 14.9889 * 1_073_741_824 / 2.63 / 1e9
        #expect(abs((a.weightsGBPerS ?? 0) - expected) < 1e-9)
        #expect(a.findings.contains(String(format: "weights: 14.99 GiB in 2.63 s = %.1f GB/s (a pinned host→GPU copy is the floor: sllm-doctor startup --pinned-copy PYTHON measures it on this GPU)", expected)))
    }

    @Test func aWeightsPhaseAgainstThePinnedCopy() {
        let link = PinnedCopy(contextS: 0.31, pinnedGBPerS: 55.0, pageableGBPerS: 3.5, bytes: 4 << 30)
        let line = link.judge(variant: "serverless_llm", gib: 14.96, seconds: 1.91)
        let rate = 14.96 * 1_073_741_824 / 1.91 / 1e9
        #expect(line == String(format: "serverless_llm: weights 14.96 GiB in 1.91 s = %.1f GB/s, %.0f %% of the pinned copy (55.0 GB/s; floor %.2f s)",
                               rate, rate / 55 * 100, 14.96 * 1_073_741_824 / 55e9))
    }

    @Test func withoutTorchOrCUDAItSaysWhy() {
        let tmp = TempDir()
        // Written by another process: a file this process wrote can still be open in a child that
        // a parallel test is spawning, and exec'ing it then fails with "Text file busy".
        let py = tmp.path + "/python"
        sh("printf '#!/bin/sh\\necho \"ModuleNotFoundError: No module named '\\''torch'\\''\" >&2\\nexit 1\\n' > \(py) && chmod 755 \(py)")
        guard case .failure(let e) = PinnedCopy.measure(python: py, environment: ProcessInfo.processInfo.environment) else {
            Issue.record("measured a copy without torch"); return
        }
        #expect(e.description == "--pinned-copy \(py): cannot measure a host→GPU copy here (ModuleNotFoundError: No module named 'torch')")
    }
}
