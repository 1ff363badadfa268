// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "sllm-doctor",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sllm-doctor", targets: ["sllm-doctor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // util-linux libraries, bound as system libraries (module.modulemap + shim.h).
        .systemLibrary(name: "CLibMount", pkgConfig: "mount", providers: [.apt(["libmount-dev"])]),
        .systemLibrary(name: "CBlkid", pkgConfig: "blkid", providers: [.apt(["libblkid-dev"])]),
        // The platform layer: everything that touches the OS lives here.
        .target(name: "CShims"),
        .target(name: "SystemProbes", dependencies: ["CLibMount", "CBlkid", "CShims"]),
        // Check model, context, runner, renderers and the runbook's file formats.
        .target(name: "DoctorCore", dependencies: ["SystemProbes", "Yams"]),
        // The check objects, one file per check.
        .target(name: "Checks", dependencies: ["DoctorCore", "SystemProbes"], path: "checks"),
        // Repairs: the `fix` actions, their plan and runner, each tied to the check it repairs.
        .target(name: "Repair", dependencies: ["DoctorCore", "Checks", "SystemProbes"]),
        // The vLLM server's HTTP API as a client measures it: readiness, one streamed completion.
        .target(name: "ServerClient", dependencies: ["DoctorCore", "SystemProbes"]),
        // Where start-up time goes: the anatomy of a start-up log and the TTFT probe.
        .target(name: "Startup", dependencies: ["DoctorCore", "ServerClient", "SystemProbes"]),
        // The restart benchmark: plans, launchers, runs, results, tables, chart, sleep/wake.
        .target(name: "Bench", dependencies: ["DoctorCore", "ServerClient", "Startup", "SystemProbes", "Yams"]),
        // Random-weight models of real shapes, written in the HF cache layout.
        .target(name: "ModelSynth", dependencies: ["DoctorCore", "SystemProbes"]),
        // A Kubernetes fleet: per-node check reports side by side, the scale-up timeline.
        .target(name: "Fleet", dependencies: ["DoctorCore", "SystemProbes"]),
        .executableTarget(name: "sllm-doctor", dependencies: [
            "DoctorCore", "Checks", "Repair", "ServerClient", "Startup", "Bench", "ModelSynth", "SystemProbes", "Fleet",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // One test target per source target: `swift test --filter BenchTests` runs one area.
        .testTarget(name: "DoctorCoreTests", dependencies: ["DoctorCore", "SystemProbes", "TestSupport"]),
        .testTarget(name: "SystemProbesTests", dependencies: ["SystemProbes", "DoctorCore", "TestSupport"]),
        .testTarget(name: "ChecksTests", dependencies: ["Checks", "Repair", "DoctorCore", "SystemProbes", "TestSupport"]),
        .testTarget(name: "RepairTests", dependencies: ["Repair", "Checks", "DoctorCore", "SystemProbes", "TestSupport"]),
        .testTarget(name: "BenchTests", dependencies: ["Bench", "ServerClient", "DoctorCore", "SystemProbes", "TestSupport"]),
        .testTarget(name: "StartupTests", dependencies: ["Startup", "Bench", "ServerClient", "DoctorCore", "SystemProbes", "TestSupport"]),
        .testTarget(name: "ModelSynthTests", dependencies: ["ModelSynth", "DoctorCore", "SystemProbes", "TestSupport"]),
        .testTarget(name: "FleetTests", dependencies: ["Fleet", "DoctorCore", "SystemProbes", "TestSupport"]),
        // The built binary, driven as a user drives it.
        .testTarget(name: "CommandLineTests", dependencies: ["sllm-doctor", "DoctorCore", "Checks", "SystemProbes", "TestSupport"]),
        // Fixtures, temp trees, the loopback stand-in's path: shared by the test targets.
        .target(name: "TestSupport", dependencies: ["DoctorCore", "Checks", "SystemProbes"], path: "Tests/Support"),
    ]
)

// `make fuzz` only: libFuzzer entry points (built with -sanitize=fuzzer, which brings its own
// main), so the target exists only when SLLM_FUZZ=1 is set for that build.
if Context.environment["SLLM_FUZZ"] == "1" {
    package.targets.append(.executableTarget(
        name: "sllm-fuzz", dependencies: ["DoctorCore", "SystemProbes", "Bench"], path: "Fuzz",
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
}
