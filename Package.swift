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
        // Foundation-free basics: JSON, text helpers, locks and threads, markdown tables, the
        // redactor, medians, time stamps and byte sizes, the tool's name.
        .target(name: "Basics"),
        .target(name: "SystemProbes", dependencies: ["Basics", "CLibMount", "CBlkid", "CShims"]),
        // The runbook's domain: .env, compose, model layouts, defaults, where a folder lives, and
        // `RunbookFacts`, the facts about one host that checks, repairs and bench read.
        .target(name: "Runbook", dependencies: ["Basics", "SystemProbes", "Yams"]),
        // The check framework over a context it does not own: Check, the result, the runner,
        // the renderers.
        .target(name: "DoctorCore", dependencies: ["Basics"]),
        // The check objects, one file per check; the profiles that build them, configured.
        .target(name: "Checks", dependencies: ["DoctorCore", "Runbook", "Basics", "SystemProbes"], path: "checks"),
        // Repairs: the `fix` actions, their plan and runner, each tied to the check it repairs.
        .target(name: "Repair", dependencies: ["DoctorCore", "Runbook", "Basics", "Checks", "SystemProbes"]),
        // The vLLM server's HTTP API as a client measures it: readiness, one streamed completion.
        .target(name: "ServerClient", dependencies: ["Basics", "SystemProbes"]),
        // Where start-up time goes: the anatomy of a start-up log and the TTFT probe.
        .target(name: "Startup", dependencies: ["Basics", "ServerClient", "SystemProbes"]),
        // The restart benchmark: plans, launchers, runs, results, tables, chart, sleep/wake.
        .target(name: "Bench", dependencies: ["DoctorCore", "Runbook", "Basics", "ServerClient", "Startup", "SystemProbes"]),
        // Random-weight models of real shapes, written in the HF cache layout.
        .target(name: "ModelSynth", dependencies: ["Basics", "SystemProbes"]),
        // A Kubernetes fleet: per-node check reports side by side, the scale-up timeline.
        .target(name: "Fleet", dependencies: ["DoctorCore", "Basics", "SystemProbes"]),
        .executableTarget(name: "sllm-doctor", dependencies: [
            "DoctorCore", "Runbook", "Basics", "Checks", "Repair", "ServerClient", "Startup", "Bench", "ModelSynth", "SystemProbes", "Fleet",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // One test target per source target: `swift test --filter BenchTests` runs one area.
        .testTarget(name: "DoctorCoreTests", dependencies: ["DoctorCore", "Runbook", "Basics", "SystemProbes", "TestSupport"]),
        .testTarget(name: "SystemProbesTests", dependencies: ["SystemProbes", "DoctorCore", "Runbook", "Basics", "TestSupport"]),
        .testTarget(name: "ChecksTests", dependencies: ["Checks", "Repair", "DoctorCore", "Runbook", "Basics", "SystemProbes", "TestSupport"]),
        .testTarget(name: "RepairTests", dependencies: ["Repair", "Checks", "DoctorCore", "Runbook", "Basics", "SystemProbes", "TestSupport"]),
        .testTarget(name: "BenchTests", dependencies: ["Bench", "ServerClient", "DoctorCore", "Runbook", "Basics", "SystemProbes", "TestSupport", "BenchTestSupport"]),
        .testTarget(name: "StartupTests", dependencies: ["Startup", "Bench", "DoctorCore", "Runbook", "Basics", "SystemProbes", "TestSupport"]),
        .testTarget(name: "ModelSynthTests", dependencies: ["ModelSynth", "DoctorCore", "Runbook", "Basics", "SystemProbes", "TestSupport"]),
        .testTarget(name: "FleetTests", dependencies: ["Fleet", "DoctorCore", "Runbook", "Basics", "SystemProbes", "TestSupport"]),
        // The built binary, driven as a user drives it.
        .testTarget(name: "CommandLineTests", dependencies: ["sllm-doctor", "DoctorCore", "Runbook", "Basics", "Checks", "SystemProbes", "TestSupport"]),
        // Fixtures, temp trees, the loopback stand-in's path: shared by the test targets.
        .target(name: "TestSupport", dependencies: ["DoctorCore", "Runbook", "Basics", "Checks", "SystemProbes"], path: "Tests/Support"),
        // The stub launcher: bench's own logic run against in-process servers, in milliseconds.
        .target(name: "BenchTestSupport", dependencies: ["Bench", "SystemProbes"], path: "Tests/BenchTestSupport"),
    ]
)

// `make fuzz` only: libFuzzer entry points (built with -sanitize=fuzzer, which brings its own
// main), so the target exists only when SLLM_FUZZ=1 is set for that build.
if Context.environment["SLLM_FUZZ"] == "1" {
    package.targets.append(.executableTarget(
        name: "sllm-fuzz", dependencies: ["Runbook", "Basics", "SystemProbes", "Bench"], path: "Fuzz",
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
}

// Imports tell the truth: a file sees members only of the modules it imports itself.
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("MemberImportVisibility")]
}
