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
        // fix actions, bench engine, anatomy, probe, synthetic models.
        .target(name: "BenchKit", dependencies: ["DoctorCore", "Checks", "SystemProbes", "Yams"]),
        .executableTarget(name: "sllm-doctor", dependencies: [
            "DoctorCore", "Checks", "BenchKit", "SystemProbes",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "DoctorTests", dependencies: ["DoctorCore", "Checks", "BenchKit", "SystemProbes"]),
    ]
)
