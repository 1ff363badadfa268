import Foundation
import Testing
import TestSupport
import SystemProbes
import Runbook
import Basics

/// The snapshot probes' readers: CRIU's outputs, /proc lines, nvidia-smi, the image metadata
/// and the image estimate.
@Suite("snapshot probes")
struct SnapshotProbeTests {
    func text(_ name: String) throws -> String { try String(contentsOfFile: fixture("snapshot/" + name), encoding: .utf8) }

    @Test func criuVersions() throws {
        let here = try #require(CRIUVersion.parse(try text("criu-version-this-host.txt")))
        #expect(here.text == "3.17.1" && here.parts == [3, 17, 1] && here.gitID == nil)
        #expect(here < CRIUVersion.cudaPlugin)
        let git = try #require(CRIUVersion.parse("Version: 4.2\nGitID: v4.2-12-g33482a1\n"))
        #expect(git.parts == [4, 2, 0] && git.gitID == "v4.2-12-g33482a1")
        #expect(!(git < CRIUVersion.cudaPlugin) && CRIUVersion(4, 0) == CRIUVersion.cudaPlugin)
        #expect(CRIUVersion(3, 19) < CRIUVersion(4, 0) && CRIUVersion(4, 0) < CRIUVersion(4, 0, 1))
        #expect(CRIUVersion.parse("criu: unknown option") == nil)
        #expect(CRIUVersion.parse("Version: four") == nil)
    }

    @Test func criuVersionsCaptured() throws {
        #expect(CRIUVersion.parse(try text("criu-version-4.1.1.txt"))?.parts == [4, 1, 1])
        let sid = try #require(CRIUVersion.parse(try text("criu-version-4.2.1.txt")))
        #expect(sid.parts == [4, 2, 1] && !(sid < CRIUVersion.tcpOnNewKernels))
        #expect(try #require(CRIUVersion.parse(try text("criu-version-4.1.1.txt"))) < CRIUVersion.tcpOnNewKernels)
    }

    /// SLLM_CRIU is split as Python's shlex.split splits it (vllm_snapshot's criu.command()); each
    /// expected list here is what shlex.split printed for the same text.
    @Test func shellWordsSplitAsShlex() throws {
        let cases: [(String, [String])] = [
            ("/var/cache/sllm-doctor/criu/criu", ["/var/cache/sllm-doctor/criu/criu"]),
            ("  sudo   -n\t/usr/sbin/criu \n", ["sudo", "-n", "/usr/sbin/criu"]),
            ("'/opt/my criu/criu' --log-file=x", ["/opt/my criu/criu", "--log-file=x"]),
            (#""/opt/a \"b\"/criu" c\ d"#, [#"/opt/a "b"/criu"#, "c d"]),
            (#""a\b" 'c\d' e\f"#, [#"a\b"#, #"c\d"#, "ef"]),
            ("a'b'\"c\"d", ["abcd"]),
            ("x '' \"\"", ["x", "", ""]),
            ("$HOME/criu `id` #no", ["$HOME/criu", "`id`", "#no"]),
            ("", []),
        ]
        for (text, words) in cases { #expect(try ShellWords.split(text) == words, "\(text)") }
        #expect(throws: ShellWords.Invalid(position: 3, reason: "the ' opened here is never closed")) { try ShellWords.split("ab'cd") }
        #expect(throws: ShellWords.Invalid(position: 1, reason: "the \" opened here is never closed")) { try ShellWords.split(#""abc\""#) }
        #expect(throws: ShellWords.Invalid(position: 4, reason: "a backslash at the end escapes nothing")) { try ShellWords.split("abc\\") }
    }

    /// One pass: a megabyte of quotes and escapes in well under 5 s (a debug build, tests in parallel).
    @Test func shellWordsAreLinear() throws {
        let text = String(repeating: #"'a b' "c\"d" e\ f "#, count: 50_000)
        let start = Monotonic.now()
        #expect(try ShellWords.split(text).count == 150_000)
        #expect(Monotonic.now() - start < 5)
    }

    @Test func kernelReleases() throws {
        let gpu = try #require(KernelRelease.parse(try text("lent-h200-20261202/proc/sys/kernel/osrelease")))
        #expect(gpu.major == 6 && gpu.minor == 18 && gpu.text == "6.18.44-fc-v973-gpu" && gpu.isAtLeast(6, 16))
        #expect(KernelRelease.parse(try text("this-host/proc/sys/kernel/osrelease"))?.isAtLeast(6, 16) == true)
        #expect(KernelRelease.parse("6.8.0-49-generic\n").map { ($0.major, $0.minor, $0.isAtLeast(6, 16)) } ?? (0, 0, true) == (6, 8, false))
        #expect(KernelRelease.parse("6.16")?.isAtLeast(6, 16) == true)
        #expect(KernelRelease.parse("7.0-rc1")?.isAtLeast(6, 16) == true)
        for bad in ["", "banana", "6", "+6.18", "6.x", "99999.1"] { #expect(KernelRelease.parse(bad) == nil, "\(bad)") }
    }

    @Test func criuCheckOutputs() throws {
        let here = CRIUCheckOutput.parse(try text("criu-check-this-host.txt"))
        #expect(here.verdict == .none && here.warnings.isEmpty)
        #expect(here.errors == ["criu/vdso.c:381: vdso: Unexpected rt vDSO area bounds",
                                "criu/vdso.c:613: vdso: Failed to fill self vdso symtable",
                                "criu/kerndat.c:1615: kerndat_vdso_fill_symtable failed when initializing kerndat.",
                                "criu/crtools.c:260: Could not initialize kernel features detection."])
        // The lent H200's own answer (CRIU 4.1.1, 2026-12-02) and this VM's with sid's 4.2.1.
        let gpu = CRIUCheckOutput.parse(try text("criu-check-lent-h200-4.1.1.txt"))
        #expect(gpu.verdict == .good && gpu.errors.isEmpty && gpu.warnings == ["criu/kerndat.c:1285: Can't keep kdat cache on non-tempfs"])
        let sid = CRIUCheckOutput.parse(try text("criu-check-this-host-4.2.1.txt"))
        #expect(sid.verdict == .good && sid.errors.isEmpty && sid.warnings.isEmpty)
        let maybe = CRIUCheckOutput.parse(try text("criu-check-missing-features.txt"))
        #expect(maybe.verdict == .missingFeatures && maybe.warnings.count == 2 && maybe.errors.isEmpty)
        #expect(CRIUCheckOutput.parse("Error (criu/cr-check.c:1): x\nDoes not look good.\r\n").verdict == .bad)
    }

    /// A flood of lines is read in one pass (linear): 100,000 lines in well under 5 s (a debug build, tests in parallel).
    @Test func aHugeCheckOutputIsReadOnce() {
        let flood = String(repeating: "Warn  (criu/cr-check.c:1): feature missing\n", count: 100_000) + "Looks good.\n"
        let start = Monotonic.now()
        let parsed = CRIUCheckOutput.parse(flood)
        #expect(parsed.warnings.count == 100_000 && parsed.verdict == .good)
        #expect(Monotonic.now() - start < 5)
    }

    @Test func privilegesFromStatus() throws {
        let here = ProcessPrivileges.parse(try text("this-host/proc/self/status"))
        #expect(here.effectiveUID == 0 && here.effectiveCapabilities == 0x1fffeffffff)
        #expect(here.has(.sysAdmin) && here.has(.checkpointRestore) && here.has(.sysPtrace))
        let user = ProcessPrivileges.parse("Uid:\t1000\t1001\t1000\t1000\nCapEff:\t0000000000000000\n")
        #expect(user.effectiveUID == 1001 && !user.has(.sysAdmin))
        let broken = ProcessPrivileges.parse("Uid: x\nCapEff: zz\n")
        #expect(broken.effectiveUID == nil && broken.effectiveCapabilities == nil && !broken.has(.sysAdmin))
    }

    @Test func driverFacts() throws {
        let h200 = try #require(GPUDriverFacts.parseQuery(try text("nvidia-smi-h200.csv")))
        #expect(h200.driverVersion == "580.159.04" && h200.branch == 580)
        #expect(h200.gpus == [GPUDriverFacts.GPU(name: "NVIDIA H200", memoryTotalMiB: 143771)])
        #expect(GPUDriverFacts.parseQuery("No devices were found\n") == nil)
        #expect(GPUDriverFacts.parseProcVersion(try text("lent-h200-20261202/proc/driver/nvidia/version")) == "580.159.04")
        #expect(GPUDriverFacts.parseProcVersion("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.15  Release Build\n") == "550.54.15")
        #expect(GPUDriverFacts.parseProcVersion("GCC version: 12\n") == nil)
    }

    @Test func metadataRoundTripsAndNamesWhatIsWrong() throws {
        let meta = SnapshotImageMetadata(gpu: "NVIDIA H200", gpuCount: 1, driver: "580.159.04", vllm: "0.26.0",
                                         model: "Qwen/Qwen3-8B", imageBytes: 6_442_450_944, created: "2026-11-29T20:09:20Z")
        #expect(try SnapshotImageMetadata.parse(Array(meta.json.prettyText().utf8), path: "m.json") == meta)
        func error(_ json: String) -> String {
            do { _ = try SnapshotImageMetadata.parse(Array(json.utf8), path: "/s/snapshot-image.json"); return "accepted" }
            catch { return error.description }
        }
        #expect(error("[]") == "/s/snapshot-image.json: expected a JSON object")
        #expect(error("{\"format\": 2}") == "/s/snapshot-image.json: key 'format': 2, expected 1 (made by a newer sllm-doctor?)")
        #expect(error("{\"format\": 1, \"gpu_count\": 0}") == "/s/snapshot-image.json: key 'gpu_count': expected a whole number from 1 to 64")
        #expect(error("{\"format\": 1, \"gpu_count\": 1, \"gpu\": \"\"}") == "/s/snapshot-image.json: key 'gpu': expected a non-empty string")
        #expect(error("{\"format\": 1, \"gpu_count\": 1, \"gpu\": \"g\", \"driver\": \"d\", \"vllm\": \"v\", \"model\": \"m\", \"image_bytes\": -1}")
                == "/s/snapshot-image.json: key 'image_bytes': expected a whole number of bytes")
        #expect(error("{\"format\": 1,").hasPrefix("/s/snapshot-image.json: invalid JSON at byte"))
    }

    @Test func aMetadataFileThatIsNoFileIsRefused() throws {
        let tmp = TempDir("meta")
        let big = tmp.bytes("snapshot-image.json", count: SnapshotImageMetadata.sizeLimit + 1)
        #expect(throws: SnapshotImageMetadata.Invalid.self) { try SnapshotImageMetadata.load(big) }
        #expect(throws: SnapshotImageMetadata.Invalid.self) { try SnapshotImageMetadata.load(tmp.mkdir("dir")) }
    }

    @Test func theKVCacheFromTheServersArguments() throws {
        typealias E = SnapshotImageEstimate
        #expect(try E.kvCache(fromArguments: []) == .share(0.9, given: false))
        #expect(try E.kvCache(fromArguments: ["--gpu-memory-utilization", "0.5"]) == .share(0.5, given: true))
        #expect(try E.kvCache(fromArguments: ["--gpu-memory-utilization=0.5", "--kv-cache-memory-bytes", "2147483648"]) == .bytes(2_147_483_648))
        #expect(try E.kvCache(fromArguments: ["--kv-cache-memory-bytes=1GiB", "--kv-cache-memory-bytes=2GiB"]) == .bytes(2 << 30))
        #expect(throws: E.ArgumentError(flag: "--kv-cache-memory-bytes", expected: "a value after it")) {
            try E.kvCache(fromArguments: ["--kv-cache-memory-bytes"])
        }
        #expect(throws: E.ArgumentError(flag: "--kv-cache-memory-bytes lots", expected: "a size in bytes above 0 (2147483648, 2GiB)")) {
            try E.kvCache(fromArguments: ["--kv-cache-memory-bytes", "lots"])
        }
        #expect(throws: E.ArgumentError.self) { try E.kvCache(fromArguments: ["--gpu-memory-utilization", "0"]) }
        #expect(throws: E.ArgumentError.self) { try E.kvCache(fromArguments: ["--gpu-memory-utilization", "nan"]) }
    }

    @Test func theImageEstimate() {
        let gib: UInt64 = 1 << 30
        let small = SnapshotImageEstimate(weightsBytes: 16 * gib, kvCache: .bytes(2 * gib), gpuMemoryBytes: nil)
        #expect(small.gpuBytes == 18 * gib && small.totalBytes == 22 * gib && !small.isLowerBound)
        let share = SnapshotImageEstimate(weightsBytes: 16 * gib, kvCache: .share(0.5, given: true), gpuMemoryBytes: 140 * gib, hostBytes: gib)
        #expect(share.gpuBytes == 70 * gib && share.totalBytes == 71 * gib)
        // Weights larger than the share: the weights count.
        #expect(SnapshotImageEstimate(weightsBytes: 100 * gib, kvCache: .share(0.5, given: true), gpuMemoryBytes: 140 * gib).gpuBytes == 100 * gib)
        let unknown = SnapshotImageEstimate(weightsBytes: 16 * gib, kvCache: .share(0.9, given: false), gpuMemoryBytes: nil)
        #expect(unknown.isLowerBound && unknown.totalBytes == 20 * gib)
    }
}
