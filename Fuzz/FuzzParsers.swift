import Bench
import Foundation
import SystemProbes
import Runbook
import Basics

/// libFuzzer entry point for the parsers that read user files: `make fuzz` builds this with
/// `-sanitize=fuzzer` and runs it once per parser, naming the parser in SLLM_FUZZ_TARGET:
///   dotenv     the .env grammar (EnvFile.parse)
///   mountinfo  a mount table file, through libmount, plus lookups on it (MountTable)
///   compose    a docker-compose file (SafeYAML + ComposeFile)
///   composeenv the environment each service of a compose file gets (ComposeDocument +
///              ComposeEnvironmentResolver + ComposeInterpolation), and interpolation of raw text
///   plan       a bench plan (SafeYAML + BenchPlan)
///   json       a model's model.safetensors.index.json (JSONLite)
/// A crash is a trap in our code; a hang is an input that takes longer than -timeout.
enum FuzzState {
    static let target = ProcessInfo.processInfo.environment["SLLM_FUZZ_TARGET"] ?? "dotenv"
    /// Where the mountinfo target writes its input (scripts/fuzz.sh points it under .build).
    static let scratch: String = {
        let dir = ProcessInfo.processInfo.environment["SLLM_FUZZ_SCRATCH"] ?? (NSTemporaryDirectory() + "sllm-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()
    static let context = RunbookFacts(options: .init(root: scratch))
    static let interpolation = ComposeInterpolation([
        "HF_HUB_OFFLINE": .init(value: "0", source: "the shell"), "EMPTY": .init(value: "", source: ".env:1"),
        "MODEL_FOLDER": .init(value: "/nvme/sllm-models", source: ".env:2"),
    ])
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: bytes, as: UTF8.self)
    switch FuzzState.target {
    case "dotenv":
        let env = EnvFile.parse(text, path: "fuzz.env")
        for e in env.entries { _ = env[e.key]; _ = e.references }
        for e in env.errors { _ = e.description }
    case "mountinfo":
        // libmount reads files: the input goes through one, as /proc/self/mountinfo would.
        let path = FuzzState.scratch + "/mountinfo"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return 0 }
        _ = write(fd, bytes.baseAddress, size)
        close(fd)
        if let table = try? MountTable(path: path) {
            _ = table.rootMount
            for p in ["/", "/nvme/sllm-models", "/mnt/a/b", "relative/x", ""] { _ = table.mount(containing: p) }
            for e in table.entries { _ = e.devno; _ = e.isBlockDevice }
        }
    case "compose":
        if let file = try? ComposeFile.parse(text, path: "fuzz.yml") {
            for s in file.services { _ = s.isVLLM; _ = s.environment.count; _ = ComposeFile.scalarText(s.command) }
        }
    case "composeenv":
        _ = try? FuzzState.interpolation.interpolate(text)
        if let document = try? ComposeDocument.parse(text, path: FuzzState.scratch + "/docker-compose.yml") {
            let resolver = ComposeEnvironmentResolver(interpolation: FuzzState.interpolation)
            for s in resolver.resolveAll(document) {
                _ = s.isVLLM
                for v in s.variables.values { _ = v.route(display: { $0 }); _ = v.derivation }
            }
        }
    case "plan":
        _ = try? BenchPlan.parse(text, path: "fuzz-plan.yaml", context: FuzzState.context)
    case "json":
        // A model's safetensors index, read on every `check` (JSONLite).
        if let v = try? JSONLite.parse(Array(bytes)) {
            _ = v["metadata"]?["total_size"]?.uint64
            _ = v["weight_map"]?.object?.values.compactMap(\.string)
        }
    default:
        fatalError("SLLM_FUZZ_TARGET=\(FuzzState.target): expected dotenv, mountinfo, compose, composeenv, plan or json")
    }
    return 0
}

/// SwiftPM links an executable target's entry as `<module>_main`; hand it to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

@_cdecl("sllm_fuzz_main")
public func sllmFuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) }
}
