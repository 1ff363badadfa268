import Foundation
import Testing
import TestSupport
@testable import DoctorCore
import Checks
import SystemProbes
import Runbook
import Basics

/// A host as the snapshot checks see it: a runbook `.env`, a folder of small programs that print
/// captured outputs (the checks really spawn them; PATH is that folder alone), and a captured
/// host tree for `--host-root`.
final class SnapshotTestHost {
    let tmp = TempDir("snapshot")
    let repo: String
    let bin: String
    let snapshots: String
    let hub: String
    var hostRoot: String?
    /// More of the doctor's own environment (SLLM_CRIU), beside PATH and HOME.
    var environment: [String: String] = [:]
    static let model = "meta-llama/Llama-3.1-8B-Instruct"

    init(extraEnv: String = "") {
        snapshots = tmp.path + "/nvme/snapshots"
        repo = makeRunbook(tmp, extraEnv: "SNAPSHOT_FOLDER=\(tmp.path)/nvme/snapshots\n" + extraEnv)
        bin = tmp.mkdir("bin")
        hub = tmp.path + "/nvme/hf-cache/hub"
    }

    static func snapshotFixture(_ name: String) -> String { fixture("snapshot/" + name) }

    func tool(_ name: String, _ body: String) {
        tmp.write("bin/" + name, "#!/bin/sh\n" + body + "\n", mode: 0o755)
    }

    /// `criu --version` prints one fixture; `criu check` prints another on stderr and exits so.
    func criu(version: String, check: String, checkStatus: Int = 0) {
        tool("criu", """
        case "$1" in
          --version) exec /bin/cat '\(Self.snapshotFixture(version))' ;;
          check) /bin/cat '\(Self.snapshotFixture(check))' >&2; exit \(checkStatus) ;;
        esac
        exit 2
        """)
    }
    /// A CRIU outside PATH, as scripts/fetch-criu.sh leaves one (its folder has a space here, so
    /// that SLLM_CRIU must quote it), answering with the given captures; SLLM_CRIU names it.
    func carriedCRIU(version: String, check: String) {
        tmp.write("carried criu/criu", """
        #!/bin/sh
        case "$1" in
          --version) exec /bin/cat '\(Self.snapshotFixture(version))' ;;
          check) /bin/cat '\(Self.snapshotFixture(check))' >&2; exit 0 ;;
        esac
        exit 2
        """ + "\n", mode: 0o755)
        environment["SLLM_CRIU"] = "'\(tmp.path)/carried criu/criu'"
    }

    /// The lent H200's captured tree (Tests/Fixtures/snapshot/lent-h200-20261202), copied so that
    /// a test may set kernel.io_uring_disabled (captured: 0).
    func lentH200Tree(ioUring: String? = nil) throws -> String {
        let root = tmp.path + "/lent-h200"
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.copyItem(atPath: Self.snapshotFixture(Self.lentH200), toPath: root)
        if let ioUring { try ioUring.write(toFile: root + "/proc/sys/kernel/io_uring_disabled", atomically: false, encoding: .utf8) }
        return root
    }
    static let lentH200 = "lent-h200-20261202"

    func nvidiaSMI(_ csv: String) { tool("nvidia-smi", "exec /bin/cat '\(Self.snapshotFixture(csv))'") }
    func python(vllm: String?) {
        if let vllm { tool("python3", "echo \(vllm)") }
        else { tool("python3", "echo \"importlib.metadata.PackageNotFoundError: No package metadata was found for vllm\" >&2; exit 1") }
    }
    func cudaCheckpoint() { tool("cuda-checkpoint", "exit 0") }

    /// The model in the HF cache, complete unless told (`omit`), with its tokenizer files.
    func model(omit: [String] = [], tokenizer: [String] = ["tokenizer.json", "tokenizer_config.json"]) {
        let snap = makeHFCache(hub: hub, repo: Self.model,
                               shards: ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"], omit: omit)
        for file in tokenizer { try! "{}".write(toFile: snap + "/" + file, atomically: true, encoding: .utf8) }
    }

    func image(_ meta: SnapshotImageMetadata) {
        tmp.write("nvme/snapshots/" + SnapshotImageMetadata.fileName, meta.json.prettyText())
    }

    static let h200Image = SnapshotImageMetadata(gpu: "NVIDIA H200", gpuCount: 1, driver: "580.159.04", vllm: "0.26.0",
                                                 model: model, imageBytes: 6 << 30, created: "2026-11-29T20:09:20Z")

    /// The lent H200 as captured (driver 580.159.04, kernel 6.18.44, root, no criu on PATH, no
    /// cuda-checkpoint, no CRIU plugin), with what the snapshot run added there: SLLM_CRIU naming
    /// a carried CRIU 4.2.1 and kernel.io_uring_disabled=2; the model in the cache and an image
    /// made there.
    static func ready(extraEnv: String = "SNAPSHOT_VLLM_ARGS=\"--kv-cache-memory-bytes 1GiB\"\n") throws -> SnapshotTestHost {
        let host = SnapshotTestHost(extraEnv: extraEnv)
        host.carriedCRIU(version: "criu-version-4.2.1.txt", check: "criu-check-lent-h200-4.1.1.txt")
        host.nvidiaSMI("nvidia-smi-h200.csv")
        host.python(vllm: "0.26.0")
        host.model()
        host.image(h200Image)
        host.hostRoot = try host.lentH200Tree(ioUring: "2\n")
        return host
    }

    func run(only: [String] = ["snapshot"]) throws -> [String: CheckReport] {
        var options = RunbookFacts.Options(root: repo, runbookDefaults: true)
        options.hostRoot = hostRoot
        let context = RunbookFacts(options: options, processEnvironment: environment.merging(["PATH": bin, "HOME": tmp.path]) { _, fixed in fixed })
        let reports = try CheckRunner(checks: catalogue(for: .snapshot), checkTimeout: context.options.checkTimeout).run(context, selection: Selection(only: only))
        return Dictionary(uniqueKeysWithValues: reports.map { ($0.id, $0) })
    }
}

@Suite("check --profile snapshot")
struct SnapshotProfileTests {
    static let ids = snapshotChecks.map(\.id)

    func status(_ r: [String: CheckReport], _ id: String) -> CheckStatus? { r[id]?.result.status }
    func summary(_ r: [String: CheckReport], _ id: String) -> String { r[id]?.result.summary ?? "(no report)" }
    func fix(_ r: [String: CheckReport], _ id: String) -> String { r[id]?.result.fix ?? "" }

    @Test func theProfileAddsTheSnapshotChecksOnly() {
        #expect(catalogue(for: .standard).map(\.id) == allChecks.map(\.id))
        #expect(catalogue(for: .prebaked).map(\.id) == allChecks.map(\.id))
        #expect(catalogue(for: .snapshot).map(\.id) == allChecks.map(\.id) + Self.ids)
        #expect(Self.ids.allSatisfy { $0.hasPrefix("snapshot.") })
        #expect(CheckArea.snapshot.heading == "Snapshot restore (CRIU)")
    }

    /// The lent H200 (captured 2026-12-02) with SLLM_CRIU naming a carried CRIU 4.2.1 and
    /// kernel.io_uring_disabled=2, as the snapshot run there had it: every check passes but the
    /// plugin's, which is not needed with the driver's checkpoint API, and the image's, before
    /// there is one.
    @Test func theLentH200WithACarriedCRIUAndIOUringOffIsReady() throws {
        let host = try SnapshotTestHost.ready()
        try FileManager.default.removeItem(atPath: host.snapshots + "/" + SnapshotImageMetadata.fileName)
        let r = try host.run()
        #expect(Set(r.keys) == Set(Self.ids))
        let passed = Set(Self.ids.filter { status(r, $0) == .pass })
        #expect(passed == Set(Self.ids).subtracting(["snapshot.cuda-plugin", "snapshot.image-match"]), "\(r.mapValues { $0.result.summary })")
        #expect(status(r, "snapshot.cuda-plugin") == .skip)
        #expect(status(r, "snapshot.image-match") == .skip)
        let wrapper = "'\(host.tmp.path)/carried criu/criu'"
        #expect(summary(r, "snapshot.criu") == "criu 4.2.1 at \(wrapper) (SLLM_CRIU)")
        #expect(r["snapshot.criu"]?.result.evidence["chosen by"] == "SLLM_CRIU is set: vllm_snapshot runs it and looks at no criu on PATH")
        #expect(r["snapshot.criu"]?.result.evidence["kernel"] == "6.18.44-fc-v973-gpu (\(host.hostRoot!)/proc/sys/kernel/osrelease)")
        #expect(summary(r, "snapshot.cuda-plugin") == "not needed: driver 580.159.04 (branch 580) has the checkpoint API that vllm_snapshot calls itself; cuda_plugin.so serves only CRIU-driven dumps (none in /usr/lib/criu)")
        // The GPU's own `criu check` answer (CRIU 4.1.1 there): a warning, then Looks good.
        #expect(summary(r, "snapshot.criu-check") == "criu check: Looks good.")
        #expect(r["snapshot.criu-check"]?.result.evidence["warning 1"] == "criu/kerndat.c:1285: Can't keep kdat cache on non-tempfs")
        #expect(summary(r, "snapshot.cuda-checkpoint") == "driver 580.159.04 (branch 580) has the CUDA checkpoint API that vllm_snapshot calls itself: neither cuda-checkpoint nor CRIU's CUDA plugin is needed")
        #expect(r["snapshot.cuda-checkpoint"]?.result.evidence["cuda-checkpoint"] == "not on PATH")
        #expect(summary(r, "snapshot.io-uring") == "kernel.io_uring_disabled = 2: no process can open an io_uring ring")
        #expect(summary(r, "snapshot.privileges") == "root with CAP_SYS_ADMIN")
        #expect(summary(r, "snapshot.image-match") == "no image yet (no \(host.snapshots)/snapshot-image.json): nothing to match")
        #expect(summary(r, "snapshot.image-space").contains("for an image of about 5.0 GiB (weights 2.0 KiB + GPU share 1.0 GiB + host 4.0 GiB)"),
                "\(summary(r, "snapshot.image-space"))")
        #expect(summary(r, "snapshot.model-cache").hasPrefix("\(SnapshotTestHost.model): config.json, tokenizer and every shard in "))
        // With the image made there, it matches too.
        host.image(SnapshotTestHost.h200Image)
        let withImage = try host.run(only: ["snapshot.image-match"])
        #expect(summary(withImage, "snapshot.image-match") == "made on NVIDIA H200 ×1, driver 580.159.04, vLLM 0.26.0: as here")
    }

    /// The lent H200 exactly as captured, before the run there set anything: kernel.io_uring_disabled
    /// was 0 and neither SLLM_CRIU nor criu on PATH.
    @Test func theLentH200AsCapturedNamesWhatWasMissing() throws {
        let host = SnapshotTestHost(extraEnv: "SNAPSHOT_VLLM_ARGS=\"--kv-cache-memory-bytes 1GiB\"\n")
        host.nvidiaSMI("nvidia-smi-h200.csv")
        host.python(vllm: "0.26.0")
        host.model()
        host.hostRoot = SnapshotTestHost.snapshotFixture(SnapshotTestHost.lentH200)
        let r = try host.run()
        #expect(Set(Self.ids.filter { status(r, $0) == .fail }) == ["snapshot.criu", "snapshot.io-uring"], "\(r.mapValues { $0.result.summary })")
        #expect(summary(r, "snapshot.criu") == "no criu on PATH and SLLM_CRIU unset: no snapshot can be made or restored")
        #expect(summary(r, "snapshot.criu-check") == "no criu on PATH and SLLM_CRIU unset (snapshot.criu): nothing to ask")
        #expect(summary(r, "snapshot.io-uring") == "kernel.io_uring_disabled = 0: every process may open io_uring rings, which CRIU cannot dump; it must be 2")
        #expect(r["snapshot.io-uring"]?.result.evidence["measured"]?.contains("Error (criu/proc_parse.c:502): Unknown shit 600 (anon_inode:[io_uring])") == true)
        #expect(status(r, "snapshot.cuda-checkpoint") == .pass)
        #expect(status(r, "snapshot.privileges") == .pass)
    }

    /// This VM's own facts (captured in Tests/Fixtures/snapshot): every missing piece is named.
    @Test func thisHostNamesEveryMissingPrerequisite() throws {
        let host = SnapshotTestHost()
        host.criu(version: "criu-version-this-host.txt", check: "criu-check-this-host.txt", checkStatus: 1)
        host.python(vllm: nil)
        host.hostRoot = SnapshotTestHost.snapshotFixture("this-host")
        let r = try host.run()
        #expect(summary(r, "snapshot.criu") == "criu 3.17.1 at \(host.bin)/criu is older than 4.0, the first release with the CUDA plugin")
        #expect(summary(r, "snapshot.cuda-plugin") == "no cuda_plugin.so in /usr/lib/criu or /usr/local/lib/criu, and no driver with the checkpoint API (branch 570): CRIU cannot dump a process that holds a GPU")
        #expect(summary(r, "snapshot.criu-check") == "criu check failed (exit 1): criu/vdso.c:381: vdso: Unexpected rt vDSO area bounds; criu/vdso.c:613: vdso: Failed to fill self vdso symtable; criu/kerndat.c:1615: kerndat_vdso_fill_symtable failed when initializing kerndat. (+1)")
        #expect(fix(r, "snapshot.criu-check") == "this CRIU (3.17.1) predates this kernel: install CRIU 4.0 or later, then criu check again")
        let driverDir = SnapshotTestHost.snapshotFixture("this-host") + "/proc/driver/nvidia/version"
        #expect(summary(r, "snapshot.cuda-checkpoint") == "no nvidia-smi and no \(driverDir): no NVIDIA driver on this host")
        #expect(r["snapshot.cuda-checkpoint"]?.result.evidence["cuda-checkpoint"] == "not on PATH")
        #expect(summary(r, "snapshot.io-uring") == "kernel.io_uring_disabled = 0: every process may open io_uring rings, which CRIU cannot dump; it must be 2")
        #expect(summary(r, "snapshot.model-cache").hasPrefix("\(SnapshotTestHost.model) is incomplete in the cache: the model's folder "))
        #expect(summary(r, "snapshot.image-space") == "cannot size the image: no weights of \(SnapshotTestHost.model) in the HF cache (snapshot.model-cache)")
        #expect(summary(r, "snapshot.image-match") == "no image yet (no \(host.snapshots)/snapshot-image.json): nothing to match")
        // Root with CAP_SYS_ADMIN here: the one prerequisite this VM has.
        #expect(summary(r, "snapshot.privileges") == "root with CAP_SYS_ADMIN")
        let failed = Set(Self.ids.filter { status(r, $0) == .fail })
        #expect(failed == ["snapshot.criu", "snapshot.cuda-plugin", "snapshot.criu-check", "snapshot.cuda-checkpoint", "snapshot.io-uring", "snapshot.model-cache"])
        #expect(status(r, "snapshot.image-space") == .warn)
        #expect(status(r, "snapshot.image-match") == .skip)
    }

    @Test func noCRIUAtAll() throws {
        let host = try SnapshotTestHost.ready()
        host.environment["SLLM_CRIU"] = nil
        let r = try host.run()
        #expect(status(r, "snapshot.criu") == .fail)
        #expect(summary(r, "snapshot.criu") == "no criu on PATH and SLLM_CRIU unset: no snapshot can be made or restored")
        #expect(r["snapshot.criu"]?.result.evidence["PATH"] == host.bin)
        #expect(status(r, "snapshot.criu-check") == .skip)
        #expect(status(r, "snapshot.cuda-checkpoint") == .pass)
    }

    /// SLLM_CRIU wins over criu on PATH, as in vllm_snapshot: on the GPU the preflight said "no
    /// criu on PATH" while SLLM_CRIU named a working 4.2.1. Both snapshot.criu and
    /// snapshot.criu-check ask the carried one, not PATH's (here a 3.17.1 that fails criu check).
    @Test func sllmCRIUIsChosenBeforePath() throws {
        let host = try SnapshotTestHost.ready()
        host.criu(version: "criu-version-this-host.txt", check: "criu-check-this-host.txt", checkStatus: 1)
        // A command line whose program is a shell and whose script path has a space: split as shlex does.
        host.environment["SLLM_CRIU"] = "/bin/sh \"\(host.tmp.path)/carried criu/criu\""
        let r = try host.run(only: ["snapshot.criu", "snapshot.criu-check"])
        #expect(status(r, "snapshot.criu") == .pass)
        #expect(summary(r, "snapshot.criu") == "criu 4.2.1 at /bin/sh \"\(host.tmp.path)/carried criu/criu\" (SLLM_CRIU)")
        #expect(status(r, "snapshot.criu-check") == .pass, "\(summary(r, "snapshot.criu-check"))")
        #expect(r["snapshot.criu-check"]?.result.evidence["criu"] == "/bin/sh \(host.tmp.path)/carried criu/criu")
        // Blank is unset: PATH's criu then, and its own answers.
        host.environment["SLLM_CRIU"] = " \t"
        let blank = try host.run(only: ["snapshot.criu", "snapshot.criu-check"])
        #expect(summary(blank, "snapshot.criu") == "criu 3.17.1 at \(host.bin)/criu is older than 4.0, the first release with the CUDA plugin")
        #expect(blank["snapshot.criu"]?.result.evidence["chosen by"] == "SLLM_CRIU is not set: vllm_snapshot runs criu from PATH")
        #expect(status(blank, "snapshot.criu-check") == .fail)
    }

    /// Kernel 6.16 or later needs CRIU 4.2: trixie's 4.1.1 could not dump a TCP socket on the
    /// 6.18 kernels here (2026-12-02), and a vLLM server listens on one.
    @Test func criuBefore42FailsOnKernel616OrLater() throws {
        let host = try SnapshotTestHost.ready()
        host.carriedCRIU(version: "criu-version-4.1.1.txt", check: "criu-check-lent-h200-4.1.1.txt")
        let r = try host.run(only: ["snapshot.criu"])
        #expect(status(r, "snapshot.criu") == .fail)
        let wrapper = "'\(host.tmp.path)/carried criu/criu'"
        #expect(summary(r, "snapshot.criu") == "criu 4.1.1 at \(wrapper) (SLLM_CRIU) cannot dump a TCP socket on kernel 6.18.44-fc-v973-gpu (a vLLM server listens on one): kernel 6.16 or later needs CRIU 4.2 or later (measured on kernel 6.18.44, 2026-12-02: CRIU 4.1.1's dump of a process with a TCP socket stops at `sockets: Can't get 1:16 opt: Operation not supported` (SO_PASSCRED); 4.2.1 dumps it)")
        #expect(fix(r, "snapshot.criu").hasPrefix("set SLLM_CRIU to a CRIU 4.2 or later"))
        // The same CRIU on a kernel before 6.16 is enough.
        try "6.8.0-49-generic\n".write(toFile: host.hostRoot! + "/proc/sys/kernel/osrelease", atomically: false, encoding: .utf8)
        let older = try host.run(only: ["snapshot.criu"])
        #expect(status(older, "snapshot.criu") == .pass)
        #expect(summary(older, "snapshot.criu") == "criu 4.1.1 at \(wrapper) (SLLM_CRIU) (kernel 6.8.0-49-generic, before 6.16)")
        // 6.16 exactly is the first that needs 4.2.
        try "6.16.0\n".write(toFile: host.hostRoot! + "/proc/sys/kernel/osrelease", atomically: false, encoding: .utf8)
        #expect(status(try host.run(only: ["snapshot.criu"]), "snapshot.criu") == .fail)
        // An unreadable release cannot be judged: a warning that says what is at stake.
        try "banana\n".write(toFile: host.hostRoot! + "/proc/sys/kernel/osrelease", atomically: false, encoding: .utf8)
        let unknown = try host.run(only: ["snapshot.criu"])
        #expect(status(unknown, "snapshot.criu") == .warn)
        #expect(summary(unknown, "snapshot.criu") == "criu 4.1.1 at \(wrapper) (SLLM_CRIU); the kernel is unknown (\(host.hostRoot!)/proc/sys/kernel/osrelease: 'banana', expected a release such as 6.18.44): on kernel 6.16 or later CRIU before 4.2 cannot dump the server's TCP socket")
    }

    /// A SLLM_CRIU that cannot be split, or names nothing runnable, fails naming it: the launcher
    /// would fail the same way (it does not fall back to PATH), so neither does the preflight.
    @Test func aBrokenSLLMCRIUIsNamed() throws {
        let host = try SnapshotTestHost.ready()
        host.criu(version: "criu-version-4.2.1.txt", check: "criu-check-this-host-4.2.1.txt")
        host.environment["SLLM_CRIU"] = "'/opt/criu/criu --log-file x"
        let quote = try host.run(only: ["snapshot.criu", "snapshot.criu-check"])
        #expect(status(quote, "snapshot.criu") == .fail)
        #expect(summary(quote, "snapshot.criu") == "SLLM_CRIU=''/opt/criu/criu --log-file x': the ' opened here is never closed (at character 1); expected a command line such as /var/cache/sllm-doctor/criu/criu")
        #expect(status(quote, "snapshot.criu-check") == .skip)
        host.environment["SLLM_CRIU"] = "\(host.tmp.path)/no such/criu"
        let absent = try host.run(only: ["snapshot.criu", "snapshot.criu-check"])
        #expect(status(absent, "snapshot.criu") == .fail)
        #expect(summary(absent, "snapshot.criu") == "SLLM_CRIU names \(host.tmp.path)/no, which is not an executable (the launcher would fail the same way; it does not fall back to PATH)")
        #expect(summary(absent, "snapshot.criu-check") == "SLLM_CRIU names \(host.tmp.path)/no, which is not there (snapshot.criu): nothing to ask")
    }

    /// Driver 550–569: no driver API, so a CRIU dump's cuda-checkpoint and CRIU's plugin must both be there.
    @Test func aDriverBeforeTheAPINeedsTheBinaryAndThePlugin() throws {
        let host = try SnapshotTestHost.ready()
        host.nvidiaSMI("nvidia-smi-h100-550.csv")
        let bare = try host.run(only: ["snapshot.cuda-checkpoint", "snapshot.cuda-plugin"])
        #expect(status(bare, "snapshot.cuda-checkpoint") == .fail)
        #expect(summary(bare, "snapshot.cuda-checkpoint") == "driver 550.54.15 (branch 550) has no checkpoint API (branch 570); a CRIU dump needs cuda-checkpoint and CRIU's CUDA plugin: no cuda-checkpoint on PATH, no cuda_plugin.so in /usr/lib/criu")
        #expect(fix(bare, "snapshot.cuda-checkpoint").hasSuffix("; or upgrade the driver to branch 570 or later"))
        #expect(status(bare, "snapshot.cuda-plugin") == .fail)
        host.cudaCheckpoint()
        let toolOnly = try host.run(only: ["snapshot.cuda-checkpoint"])
        #expect(summary(toolOnly, "snapshot.cuda-checkpoint").hasSuffix(": no cuda_plugin.so in /usr/lib/criu"))
        host.hostRoot = tree(host, ioUring: "2")
        let both = try host.run(only: ["snapshot.cuda-checkpoint", "snapshot.cuda-plugin"])
        #expect(status(both, "snapshot.cuda-checkpoint") == .pass)
        #expect(summary(both, "snapshot.cuda-checkpoint") == "driver 550.54.15 (branch 550, before the driver API): cuda-checkpoint at \(host.bin)/cuda-checkpoint and CRIU's CUDA plugin move the GPU memory")
        #expect(summary(both, "snapshot.cuda-plugin") == "cuda_plugin.so in /usr/lib/criu, where CRIU looks")
    }

    @Test func optionalKernelFeaturesWarn() throws {
        let host = try SnapshotTestHost.ready()
        host.carriedCRIU(version: "criu-version-4.2.1.txt", check: "criu-check-missing-features.txt")
        let r = try host.run(only: ["snapshot.criu-check"])
        #expect(status(r, "snapshot.criu-check") == .warn)
        #expect(summary(r, "snapshot.criu-check") == "criu check: optional kernel features are missing (criu/cr-check.c:1231: Nftables based locking requires libnftables and set concatenations support; criu/cr-check.c:1571: Kernel doesn't support statmount by file descriptor)")
    }

    @Test func anOldDriverHasNoCheckpointAPI() throws {
        let host = try SnapshotTestHost.ready()
        host.nvidiaSMI("nvidia-smi-h100-535.csv")
        let r = try host.run(only: ["snapshot.cuda-checkpoint"])
        #expect(status(r, "snapshot.cuda-checkpoint") == .fail)
        #expect(summary(r, "snapshot.cuda-checkpoint") == "driver 535.183.01 (branch 535) cannot checkpoint a CUDA process: cuda-checkpoint needs branch 550, the driver API branch 570")
        #expect(fix(r, "snapshot.cuda-checkpoint") == "upgrade the NVIDIA driver to branch 570 or later")
    }

    /// Without nvidia-smi the driver's own proc line gives the version.
    @Test func theDriverFromProcWithoutNvidiaSMI() throws {
        let host = try SnapshotTestHost.ready()
        try FileManager.default.removeItem(atPath: host.bin + "/nvidia-smi")
        let r = try host.run(only: ["snapshot.cuda-checkpoint"])
        #expect(status(r, "snapshot.cuda-checkpoint") == .pass)
        #expect(r["snapshot.cuda-checkpoint"]?.result.evidence["driver"] == "580.159.04 (from \(host.hostRoot!)/proc/driver/nvidia/version)")
    }

    func tree(_ host: SnapshotTestHost, ioUring: String?, status: String? = nil, pluginIn: String? = "usr/lib/criu") -> String {
        let root = host.tmp.mkdir("host")
        if let ioUring { host.tmp.write("host/proc/sys/kernel/io_uring_disabled", ioUring) }
        host.tmp.write("host/proc/self/status", status ?? "Uid:\t0\t0\t0\t0\nCapEff:\t000001ffffffffff\n")
        if let pluginIn { host.tmp.write("host/\(pluginIn)/cuda_plugin.so", "plugin") }
        return root
    }

    @Test func ioUringMustBeTwo() throws {
        let host = try SnapshotTestHost.ready()
        for (value, expected) in [("1\n", "kernel.io_uring_disabled = 1: root (the restore runs as root) may open io_uring rings, which CRIU cannot dump; it must be 2"),
                                  ("yes", "\(host.tmp.path)/host/proc/sys/kernel/io_uring_disabled: 'yes', expected 0, 1 or 2")] {
            host.hostRoot = tree(host, ioUring: value)
            let r = try host.run(only: ["snapshot.io-uring"])
            #expect(status(r, "snapshot.io-uring") == .fail)
            #expect(summary(r, "snapshot.io-uring") == expected)
            #expect(fix(r, "snapshot.io-uring").hasPrefix("sudo sysctl -w kernel.io_uring_disabled=2"))
        }
        // A kernel before 6.6 has no such sysctl.
        try FileManager.default.removeItem(atPath: host.tmp.path + "/host/proc/sys/kernel/io_uring_disabled")
        let old = try host.run(only: ["snapshot.io-uring"])
        #expect(status(old, "snapshot.io-uring") == .warn)
        #expect(fix(old, "snapshot.io-uring").contains("UV_USE_IO_URING=0"))
    }

    @Test func privilegesFromCapabilities() throws {
        let host = try SnapshotTestHost.ready()
        let cases: [(String, CheckStatus, String)] = [
            ("Uid:\t1000\t1000\t1000\t1000\nCapEff:\t0000000000000000\n", .fail, "uid 1000 without CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE: CRIU cannot dump or restore"),
            // Docker's default set: root, but not CAP_SYS_ADMIN.
            ("Uid:\t0\t0\t0\t0\nCapEff:\t00000000a80425fb\n", .fail, "root without CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE: CRIU cannot dump or restore"),
            // setcap cap_checkpoint_restore,cap_sys_ptrace: bits 40 and 19.
            ("Uid:\t1000\t1000\t1000\t1000\nCapEff:\t0000010000080000\n", .pass, "uid 1000 with CAP_CHECKPOINT_RESTORE and CAP_SYS_PTRACE (criu --unprivileged)"),
            ("Uid:\t1000\t1000\t1000\t1000\nCapEff:\t0000010000000000\n", .fail, "uid 1000 without CAP_SYS_PTRACE beside CAP_CHECKPOINT_RESTORE: CRIU cannot dump or restore"),
        ]
        for (status, expected, text) in cases {
            host.hostRoot = tree(host, ioUring: "2", status: status)
            let r = try host.run(only: ["snapshot.privileges"])
            #expect(self.status(r, "snapshot.privileges") == expected, "\(status)")
            #expect(summary(r, "snapshot.privileges") == text)
        }
        host.hostRoot = tree(host, ioUring: "2", status: "Uid:\t0\t0\t0\t0\nCapEff:\t00000000a80425fb\n")
        #expect(fix(try host.run(only: ["snapshot.privileges"]), "snapshot.privileges").hasPrefix("root without the capabilities is a container's root"))
    }

    @Test func aPluginOutsideCRIUsFolderWarns() throws {
        let host = try SnapshotTestHost.ready()
        host.nvidiaSMI("nvidia-smi-h100-550.csv")
        host.hostRoot = tree(host, ioUring: "2", pluginIn: "usr/local/lib/criu")
        let r = try host.run(only: ["snapshot.cuda-plugin"])
        #expect(status(r, "snapshot.cuda-plugin") == .warn)
        #expect(fix(r, "snapshot.cuda-plugin") == "pass criu --libdir /usr/local/lib/criu, or link it: sudo ln -s /usr/local/lib/criu/cuda_plugin.so /usr/lib/criu/")
    }

    @Test func anImageFromAnotherHostIsRefusedNamingBoth() throws {
        let host = try SnapshotTestHost.ready()
        host.image(SnapshotImageMetadata(gpu: "NVIDIA H100 80GB HBM3", gpuCount: 1, driver: "550.54.15", vllm: "0.25.1", model: SnapshotTestHost.model))
        let r = try host.run(only: ["snapshot.image-match"])
        #expect(status(r, "snapshot.image-match") == .fail)
        #expect(summary(r, "snapshot.image-match") == "the image was made with another GPU NVIDIA H100 80GB HBM3 (here NVIDIA H200); driver 550.54.15 (here 580.159.04); vLLM 0.25.1 (here 0.26.0): restore refused")
        #expect(fix(r, "snapshot.image-match").hasPrefix("make the image again on this host (remove \(host.snapshots) first)"))
    }

    @Test func anImageOfAnotherModelIsRefused() throws {
        let host = try SnapshotTestHost.ready()
        var meta = SnapshotTestHost.h200Image
        meta.model = "Qwen/Qwen3-8B"
        host.image(meta)
        let r = try host.run(only: ["snapshot.image-match"])
        #expect(summary(r, "snapshot.image-match") == "the image was made with another model Qwen/Qwen3-8B (here MODEL_NAME=\(SnapshotTestHost.model)): restore refused")
    }

    @Test func unknownVLLMHereWarns() throws {
        let host = try SnapshotTestHost.ready()
        host.python(vllm: nil)
        let r = try host.run(only: ["snapshot.image-match"])
        #expect(status(r, "snapshot.image-match") == .warn)
        #expect(summary(r, "snapshot.image-match") == "GPU and driver match; vLLM here is unknown (python3 has no vllm package), the image's is 0.26.0")
    }

    @Test func brokenMetadataNamesFileAndKey() throws {
        let host = try SnapshotTestHost.ready()
        let path = host.tmp.write("nvme/snapshots/snapshot-image.json", #"{"format": 1, "gpu": "NVIDIA H200", "gpu_count": 1, "driver": 580, "vllm": "0.26.0", "model": "m"}"#)
        let r = try host.run(only: ["snapshot.image-match"])
        #expect(status(r, "snapshot.image-match") == .fail)
        #expect(summary(r, "snapshot.image-match") == "\(path): key 'driver': expected a non-empty string")
    }

    @Test func noRoomRefusesWithTheSizes() throws {
        let host = try SnapshotTestHost.ready(extraEnv: "SNAPSHOT_VLLM_ARGS=\"--max-model-len 4096 --kv-cache-memory-bytes=4096TiB\"\n")
        let r = try host.run(only: ["snapshot.image-space"])
        #expect(status(r, "snapshot.image-space") == .fail)
        let s = summary(r, "snapshot.image-space")
        #expect(s.hasPrefix("\(host.snapshots) has "), "\(s)")
        #expect(s.hasSuffix(" free; the image needs about 4096.0 TiB (weights 2.0 KiB + GPU share 4096.0 TiB + host 4.0 GiB)"), "\(s)")
    }

    /// Without a KV size, vLLM's default share of the GPU (0.9 of the H200's 143771 MiB).
    @Test func theDefaultShareSizesTheKVCache() throws {
        let host = try SnapshotTestHost.ready(extraEnv: "SNAPSHOT_HOST_MEMORY=6GiB\n")
        let r = try host.run(only: ["snapshot.image-space"])
        let e = try #require(r["snapshot.image-space"]?.result.evidence)
        #expect(e["kv cache"] == "--gpu-memory-utilization 0.9 (vLLM's default)")
        #expect(e["gpu part"] == formatBytes(UInt64(Double(UInt64(143771) << 20) * 0.9)))
        #expect(e["host memory"] == "6.0 GiB")
    }

    @Test func badServerArgumentsNameTheirLine() throws {
        let host = try SnapshotTestHost.ready(extraEnv: "SNAPSHOT_VLLM_ARGS=\"--gpu-memory-utilization 1.5\"\n")
        let r = try host.run(only: ["snapshot.image-space"])
        #expect(status(r, "snapshot.image-space") == .fail)
        #expect(summary(r, "snapshot.image-space") == "SNAPSHOT_VLLM_ARGS (.env:9): --gpu-memory-utilization 1.5: expected a number above 0 and at most 1")
    }

    @Test func aMissingShardAndTokenizerAreNamed() throws {
        let host = try SnapshotTestHost.ready()
        try FileManager.default.removeItem(atPath: host.hub)
        host.model(omit: ["model-00002-of-00002.safetensors"], tokenizer: [])
        let r = try host.run(only: ["snapshot.model-cache"])
        #expect(status(r, "snapshot.model-cache") == .fail)
        #expect(summary(r, "snapshot.model-cache") == "\(SnapshotTestHost.model) is incomplete in the cache: model-00002-of-00002.safetensors, tokenizer_config.json, tokenizer.json or tokenizer.model or vocab.json missing; a restore would fail on it")
        #expect(fix(r, "snapshot.model-cache").contains("huggingface-cli download \(SnapshotTestHost.model)"))
    }

    /// The standard profile never runs them: a bench host without CRIU is not worse for it.
    @Test func theStandardProfileDoesNotRunThem() throws {
        let host = SnapshotTestHost()
        let context = RunbookFacts(options: .init(root: host.repo, runbookDefaults: true), processEnvironment: ["PATH": host.bin])
        #expect(throws: SelectionError.self) { try CheckRunner(checks: catalogue(for: .standard), checkTimeout: 5).run(context, selection: Selection(only: ["snapshot"])) }
    }

    /// `--list` keeps the titles in one column although snapshot.cuda-checkpoint is longer than 22.
    @Test func theListStaysAligned() {
        let text = HumanRenderer(verbose: false, color: false, redact: Redactor(secrets: [])).renderCatalogue(catalogue(for: .snapshot))
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("  ") }
        #expect(rows.count == allChecks.count + snapshotChecks.count)
        let columns = Set(rows.map { row in row.dropFirst(2).prefix { $0 != " " }.count + row.dropFirst(2).drop { $0 != " " }.prefix { $0 == " " }.count })
        #expect(columns == ["snapshot.cuda-checkpoint ".count])
    }

    /// The command line: --profile snapshot and --host-root reach the checks.
    @Test func theCommandLineReadsACapturedHost() throws {
        let host = try SnapshotTestHost.ready()
        let args = ["check", "--root", host.repo, "--profile", "snapshot", "--host-root", host.hostRoot!,
                    "--only", "snapshot.io-uring,snapshot.privileges,snapshot.criu"]
        let ready = doctor(args, env: host.environment)
        #expect(ready.status == 0, "\(ready.stdout)\(ready.stderr)")
        #expect(ready.stdout.contains("[✓] snapshot.io-uring: kernel.io_uring_disabled = 2"))
        #expect(ready.stdout.contains("[✓] snapshot.criu: criu 4.2.1 at '\(host.tmp.path)/carried criu/criu' (SLLM_CRIU)"), "\(ready.stdout)")
        let here = doctor(args.dropLast(3) + [SnapshotTestHost.snapshotFixture("this-host"), "--only", "snapshot.io-uring"])
        #expect(here.status == 1)
        #expect(here.stdout.contains("[✗] snapshot.io-uring: kernel.io_uring_disabled = 0"))
        #expect(doctor(["check", "--profile", "snapshot", "--host-root", host.tmp.path + "/none"]).status == 2)
    }

    /// Sizes that add up past 64 bits are compared, not trapped on.
    @Test func sizesPast64BitsDoNotTrap() throws {
        let host = try SnapshotTestHost.ready(extraEnv: "SNAPSHOT_VLLM_ARGS=\"--kv-cache-memory-bytes 15000000TiB\"\nSNAPSHOT_HOST_MEMORY=15000000TiB\n")
        let r = try host.run(only: ["snapshot.image-space"])
        #expect(status(r, "snapshot.image-space") == .fail)
        #expect(summary(r, "snapshot.image-space").contains("the image needs about 16777216.0 TiB (weights 2.0 KiB + GPU share 15000000.0 TiB + host 15000000.0 TiB)"), "\(summary(r, "snapshot.image-space"))")
    }

    /// A FIFO where the metadata should be is refused at once, not waited on.
    @Test func aFIFOForMetadataIsRefused() throws {
        let host = try SnapshotTestHost.ready()
        let path = host.snapshots + "/" + SnapshotImageMetadata.fileName
        try FileManager.default.removeItem(atPath: path)
        #expect(mkfifo(path, 0o600) == 0)
        let r = try host.run(only: ["snapshot.image-match"])
        #expect(status(r, "snapshot.image-match") == .fail)
        #expect(summary(r, "snapshot.image-match").hasPrefix("\(path): "), "\(summary(r, "snapshot.image-match"))")
        #expect((r["snapshot.image-match"]?.durationMs ?? 9999) < 2000)
    }
}
