import Foundation
import Testing
import TestSupport
@testable import Startup
@testable import Bench
@testable import DoctorCore
@testable import SystemProbes
@testable import Runbook
@testable import Basics

@Suite("start-up doctor", .serialized)
struct StartupDoctorTests {
    /// A captured `-X importtime` excerpt (CPython 3.12 wording and layout).
    static let importtime = """
    import time: self [us] | cumulative | imported package
    import time:       812 |        812 |   _io
    import time:      1204 |       2016 |     encodings.utf_8
    import time:    402113 |    3951204 |   torch
    import time:     10021 |      10021 |       torch._C
    import time:    120777 |    6120777 | vllm.entrypoints.cli.main
    import time:    900311 |    1512002 |   transformers
    not an importtime line
    """

    @Test func importtimeIsParsedWithNestingAndTotals() {
        let p = ImportProfile.parse(Self.importtime)
        #expect(p.modules.count == 6)
        #expect(p.modules[2] == .init(name: "torch", selfUs: 402113, cumulativeUs: 3951204, depth: 1))
        #expect(p.modules[3].depth == 3)
        #expect(p.modules[4].depth == 0)
        #expect(p.totalUs == 6120777)
        #expect(p.topPackages(3).map(\.name) == ["vllm", "torch", "transformers"])
        #expect(p.slowestSelf(1).first?.name == "transformers")
    }

    /// A real interpreter importing a real package: with bytecode off, every start compiles
    /// its sources; with it on, the first start writes the caches and the second reads them.
    @Test func bytecodeCachesAreSeenAsTheInterpreterSeesThem() throws {
        let tmp = TempDir()
        tmp.write("pkg/slowpkg/__init__.py", "import time\ntime.sleep(0.5)\nfrom . import part\n")
        tmp.write("pkg/slowpkg/part.py", "X = 1\n")
        var env = ProcessInfo.processInfo.environment
        env["PYTHONPATH"] = tmp.path + "/pkg"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        let off = ImportDiagnosis.run(python: "python3", module: "slowpkg", environment: env)
        #expect(off.error == nil, "\(off.error ?? "")")
        #expect(off.dontWriteBytecode)
        let mine = off.sources.filter { $0.path.hasPrefix(tmp.path) }
        #expect(mine.count == 2 && mine.allSatisfy { !$0.hasBytecode })
        #expect(off.findings.first?.hasPrefix("PYTHONDONTWRITEBYTECODE is set: 2 of") == true, "\(off.findings)")
        // Among the slowest (on a loaded machine the interpreter's own `site` once took longer
        // than a 0.2 s sleep), and with at least its own sleep.
        let slow = off.profile.topPackages(3).first { $0.name == "slowpkg" }
        #expect(slow != nil, "\(off.profile.topPackages(3))")
        #expect((slow?.us ?? 0) >= 500_000)
        #expect(off.cacheBefore.files > 0)

        env["PYTHONDONTWRITEBYTECODE"] = nil
        let first = ImportDiagnosis.run(python: "python3", module: "slowpkg", environment: env)
        #expect(first.findings.contains { $0.contains("had no bytecode cache before this run (written now") }, "\(first.findings)")
        let second = ImportDiagnosis.run(python: "python3", module: "slowpkg", environment: env)
        let mineAfter = second.sources.filter { $0.path.hasPrefix(tmp.path) }
        #expect(mineAfter.count == 2 && mineAfter.allSatisfy { $0.hasBytecode })
        // The second start found the first one's files in the page cache.
        #expect(second.cacheBefore.resident > 0)
    }

    /// On the H100 two such files sat in different trees and the advice read "compileall -q /".
    @Test func readOnlySourcesAreNamedNeverTheRootFolder() {
        func diagnosis(_ paths: [String]) -> ImportDiagnosis {
            ImportDiagnosis(python: "py", module: "m", wallS: 1, profile: ImportProfile.parse(""), dontWriteBytecode: false,
                            sources: paths.map { .init(path: $0, bytecode: nil, hasBytecode: false, folderWritable: false) },
                            cacheBefore: (0, 0, 0), error: nil)
        }
        let two = diagnosis(["/opt/venv/lib/python3.12/site-packages/a.py", "/usr/lib/python3.12/b.py"]).findings.joined()
        #expect(two.contains("compileall -q /opt/venv/lib/python3.12/site-packages/a.py /usr/lib/python3.12/b.py"), "\(two)")
        let many = diagnosis((0..<6).map { "/ro/pkg\($0)/m.py" }).findings.joined()
        #expect(many.contains("compileall -q /ro/pkg0 /ro/pkg1 /ro/pkg2 (and 3 more folders)"), "\(many)")
        #expect(!two.hasSuffix(" /") && !many.contains("-q / "))
    }

    @Test func aFailingImportIsReportedNotParsed() {
        let d = ImportDiagnosis.run(python: "python3", module: "no_such_module_here", environment: ProcessInfo.processInfo.environment)
        #expect(d.error?.contains("import no_such_module_here failed") == true)
        #expect(d.error?.contains("ModuleNotFoundError") == true, "\(d.error ?? "")")
    }

    @Test func badFlagsAreUsageErrorsNamingTheFlag() {
        let python = doctor(["startup", "--python", "/no/such/python3"])
        #expect(python.status == 2 && python.stderr.contains("--python /no/such/python3: no such interpreter"), "\(python.stderr)")
        let results = doctor(["startup", "--results", "/no/such/results.json"])
        #expect(results.status == 2 && results.stderr.contains("--results /no/such/results.json: no such file"))
        let model = doctor(["startup", "--model", "/no/such/model"])
        #expect(model.status == 2 && model.stderr.contains("--model /no/such/model: no such folder"))
    }

    @Test func theFloorReadsTheShardsFromDiskAndFromCache() throws {
        let tmp = TempDir()
        tmp.bytes("m/model-00001-of-00002.safetensors", count: 8 << 20)
        tmp.bytes("m/model-00002-of-00002.safetensors", count: (3 << 20) + 123)   // a tail that is not a whole block
        tmp.write("m/config.json", "{}")
        let f = try RestartFloor.measure(modelDir: tmp.path + "/m")
        #expect(f.files.count == 2)
        #expect(f.bytes == UInt64((11 << 20) + 123))
        #expect(f.warm?.bytes == f.bytes)
        // O_DIRECT works on this disk (ext4); on tmpfs it would be refused and said so.
        if let c = f.cold { #expect(c.bytes == f.bytes) } else { #expect(f.coldError != nil) }
        let warmS = try #require(f.warm?.seconds)
        let verdict = f.judge(variant: "v", weightsS: warmS * 10, cachesDropped: false)
        #expect(verdict.contains("the loader, not the disk"))
    }

    @Test func residencyIsReadWithoutReading() throws {
        let tmp = TempDir()
        let path = tmp.bytes("f.bin", count: 4 << 20)
        _ = try FileReads.read([path], direct: false)
        let r = try #require(FileReads.resident(path))
        #expect(r.size == 4 << 20)
        #expect(r.resident == r.size)
        #expect(FileReads.resident(tmp.path + "/missing") == nil)
    }

    @Test func aCompileCacheOnTmpfsIsNamed() throws {
        let table = try MountTable()
        let shm = table.mount(containing: "/dev/shm")
        try #require(shm?.fstype == "tmpfs", "no tmpfs at /dev/shm on this host")
        let d = CompileCacheDoctor.inspect(environment: ["VLLM_CACHE_ROOT": "/dev/shm/vllm-cache-test"], mounts: table)
        #expect(d.from == "VLLM_CACHE_ROOT")
        #expect(d.findings.contains { $0.hasPrefix("the cache is on tmpfs: a reboot empties it") })
    }

    /// Two starts in a row must both hit; when the third misses, the key folder it created is named.
    @Test func aMissAfterAHitNamesTheNewCacheKey() throws {
        let tmp = TempDir()
        let port = freePort()
        let cache = tmp.mkdir("vllm-cache")
        var plan = BenchPlan(variants: [Variant(name: "v", launch: .command(
            argv: ["python3", fakeServer, "fake/model", "--port", String(port), "--ready-delay", "0.3", "--cache-key-changes-after", "2"],
            env: ["VLLM_CACHE_ROOT": cache], cwd: nil), port: port)])
        plan.runs = 3
        let (records, _) = BenchRunner(plan: plan, env: BenchEnvironment(logDir: tmp.path + "/logs")).runAll()
        #expect(records.map(\.compileCache) == ["miss", "hit", "miss"])
        #expect(records[0].newCompileCacheKeys == ["fake-default"])
        #expect(records[2].newCompileCacheKeys == ["fake-default-v2"])
        #expect(!records[0].findings.contains { $0.hasPrefix("compile cache missed after a hit") })
        #expect(records[2].findings.contains { $0.hasPrefix("compile cache missed after a hit in the previous run: new key folder torch_compile_cache/fake-default-v2 under \(cache)") }, "\(records[2].findings)")
    }
}
