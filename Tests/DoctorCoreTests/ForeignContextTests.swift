import Testing
import DoctorCore

/// The framework runs checks over any context: here one that is not the runbook's, with only
/// DoctorCore imported (ordering, skips on a failed prerequisite, timeouts, --ignore).
@Suite("the check framework over a context it does not own")
struct ForeignContextTests {
    struct Thermometer: Sendable { var celsius: Double }

    struct ReadsCheck: Check {
        let id = "gpu.sensor"
        let title = "a temperature is read"
        func run(_ context: Thermometer) throws -> CheckResult {
            context.celsius.isFinite ? .pass("\(context.celsius) °C") : .fail("no reading")
        }
    }

    struct HotCheck: Check {
        let id = "gpu.temperature"
        let title = "the GPU is below its limit"
        let limit: Double
        let dependsOn = ["gpu.sensor"]
        func run(_ context: Thermometer) throws -> CheckResult {
            context.celsius < limit ? .pass("below \(limit) °C") : .fail("\(context.celsius) °C, limit \(limit) °C")
        }
    }

    @Test func configuredChecksOverAPlainValue() throws {
        let runner = CheckRunner<Thermometer>(checks: [HotCheck(limit: 85), ReadsCheck()], checkTimeout: 5)
        let cool = try runner.run(Thermometer(celsius: 60))
        #expect(cool.map(\.id) == ["gpu.temperature", "gpu.sensor"])
        #expect(cool.allSatisfy { $0.result.status == .pass })
        let hot = try runner.run(Thermometer(celsius: 90), selection: Selection(ignore: ["gpu.temperature"]))
        #expect(hot.first?.result.status == .warn)
        #expect(hot.first?.result.summary == "90.0 °C, limit 85.0 °C (failure ignored by --ignore)")
        let broken = try runner.run(Thermometer(celsius: .nan))
        #expect(broken.first?.result.summary == "needs gpu.sensor, which failed")
    }
}
