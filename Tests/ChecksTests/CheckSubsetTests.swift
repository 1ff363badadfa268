import Testing
import TestSupport
import DoctorCore
import Checks
import Runbook

/// The named subsets a caller asks for instead of ignoring checks (Homebrew's doctor lists).
@Suite("check subsets")
struct CheckSubsetTests {
    @Test(arguments: [CheckProfile.standard, .snapshot])
    func benchPreflightLeavesTheComposeCheckOutOnlyForPlansWithoutCompose(_ profile: CheckProfile) {
        let all = catalogue(for: profile).map(\.id)
        #expect(CheckSubset.benchPreflight(profile, usesCompose: true).map(\.id) == all)
        let plain = CheckSubset.benchPreflight(profile, usesCompose: false).map(\.id)
        #expect(plain == all.filter { $0 != "runtime.compose" })
        // What still matters to a plan of plain commands stays: leftover containers, ports.
        #expect(plain.contains("runtime.containers") && plain.contains("runtime.ports"))
    }
}
