import Foundation
import Testing
import TestSupport
@testable import Bench
@testable import DoctorCore
@testable import SystemProbes
@testable import Runbook
@testable import Basics

/// The template launcher against the loopback stand-in: its import cost
/// (FAKE_VLLM_IMPORT_DELAY, Tests/Standins/fake_vllm_imports.py) is what a template pays once.
@Suite("bench: the warm interpreter template", .serialized)
struct TemplateBenchTests {
    static let templateFolder = FileFacts.parent(of: fixturesDir) + "/../integrations/vllm-template"
    static let scripts = FileFacts.parent(of: fixturesDir) + "/Standins"
    static let importDelay = 1.5

    /// A plan of one variant per entry (name, template?, extra server flags); every server logs
    /// its events to `<tmp>/ev-<name>`.
    func plan(_ tmp: TempDir, _ variants: [(String, Bool, [String])], watch: String = "fake_vllm_imports", extraPath: String = "") -> String {
        var text = """
        template:
          pythonpath: \(Self.templateFolder)
          preload: [fake_vllm_imports]
          watch: [\(watch)]
        variants:

        """
        for (name, template, extra) in variants {
            let port = freePort()
            let args = ["python3", fakeServer, "fake/model", "--port", "\"\(port)\"", "--ready-delay", "\"0.4\"", "--engine-child",
                        "--events", tmp.path + "/ev-" + name] + extra
            text += """
              - name: \(name)
                port: \(port)
                template: \(template)
                command: [\(args.joined(separator: ", "))]
                env: {PYTHONPATH: "\(Self.scripts)\(extraPath)", FAKE_VLLM_IMPORT_DELAY: "\(Self.importDelay)"}

            """
        }
        return tmp.write("plan.yaml", text)
    }

    func results(_ out: CommandOutput) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any], "\(out.stderr)")
    }

    func runs(_ obj: [String: Any], _ name: String) -> [[String: Any]] {
        ((obj["variants"] as? [[String: Any]])?.first { $0["name"] as? String == name }?["runs"] as? [[String: Any]]) ?? []
    }

    func templates(_ obj: [String: Any]) -> [[String: Any]] { obj["templates"] as? [[String: Any]] ?? [] }

    func starts(_ obj: [String: Any]) -> [[String: Any]] { templates(obj).first?["starts"] as? [[String: Any]] ?? [] }

    @Test func theTemplateStartsOnceAndItsServersSkipTheImports() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let p = plan(tmp, [("plain", false, []), ("templated", true, [])])
        let out = doctor(["bench", "--root", repo, "--plan", p, "--runs", "2", "--json", "--ignore", "storage,model,runtime"], timeout: 120)
        #expect(out.status == 0, "\(out.stderr)")
        let obj = try results(out)
        // Started once for both runs, timed apart, with what it held.
        let s = starts(obj)
        #expect(s.count == 1, "\(templates(obj))")
        #expect((s.first?["load_s"] as? Double ?? 0) >= Self.importDelay)
        #expect((s.first?["modules"] as? Int ?? 0) > 0)
        // Every templated server inherited the imports; no plain one did.
        let plain = ServerEvents(path: tmp.path + "/ev-plain").all().filter { $0["event"] as? String == "start" }
        let templated = ServerEvents(path: tmp.path + "/ev-templated").all().filter { $0["event"] as? String == "start" }
        #expect(plain.count == 2 && templated.count == 2)
        #expect(plain.allSatisfy { $0["imports_inherited"] as? Bool == false })
        #expect(templated.allSatisfy { $0["imports_inherited"] as? Bool == true })
        // So the import phase is in every plain start and in no templated one.
        // The plain starts sleep through the imports (a lower bound no load can break). That the
        // templated ones skip them is what their own events say above; how much quicker they are
        // is a figure for a benchmark: on a loaded 2-core machine the run client's own start
        // varied by more than the import delay (seen 1.95 s against 2.60 s).
        func imports(_ r: [String: Any]) -> Double? { (r["phases_s"] as? [String: Double])?["interpreter_and_imports"] }
        let plainImports = runs(obj, "plain").compactMap(imports)
        #expect(plainImports.count == 2 && runs(obj, "templated").compactMap(imports).count == 2)
        for t in plainImports { #expect(t >= Self.importDelay) }
        #expect((obj["variants"] as? [[String: Any]])?.last?["template"] as? Bool == true)
        // Stopping a server stopped what it started; the template is gone at the end.
        for e in ServerEvents(path: tmp.path + "/ev-templated").all() {
            if let pid = e["pid"] as? Int { #expect(processGone(Int32(pid)), "\(e)") }
        }
        let pid = try #require(s.first.flatMap { _ in templateStatusPid(obj) })
        #expect(processGone(Int32(pid), timeout: 10), "template outlived bench")
        // Nor is the private folder bench made for its socket.
        let socket = try #require(templates(obj).first?["socket"] as? String)
        #expect(!FileFacts.exists(FileFacts.parent(of: socket)), "\(socket)'s folder left behind")
        #expect(out.stderr.contains("[template] started once"))
    }

    @Test func coldRunsRestartTheTemplate() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let p = plan(tmp, [("templated", true, [])])
        let out = doctor(["bench", "--root", repo, "--plan", p, "--runs", "2", "--mode", "coldstart", "--json", "--ignore", "storage,model,runtime"], timeout: 120)
        #expect(out.status == 0, "\(out.stderr)")
        let obj = try results(out)
        #expect(starts(obj).count == 2)   // once, then before the second cold run
        #expect(runs(obj, "templated").last?["template_restart_ms"] != nil)
    }

    @Test func aCrashedTemplateIsNamedRestartedOnceAndThatRunNotCounted() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let p = plan(tmp, [("templated", true, ["--kill-template-once", tmp.path + "/killed"])])
        let out = doctor(["bench", "--root", repo, "--plan", p, "--runs", "2", "--json", "--ignore", "storage,model,runtime"], timeout: 120)
        #expect(out.status == 1)   // a run failed
        let obj = try results(out)
        let r = runs(obj, "templated")
        #expect(r.first?["outcome"] as? String == "failed")
        #expect(r.first?["cause"] as? String == TemplateHost.crashedCause)
        let why = r.first?["diagnosis"] as? String ?? ""
        #expect(why.contains("killed by signal 9") && why.contains("restarted it") && why.contains("not counted"), "\(why)")
        #expect(r.last?["outcome"] as? String == "ok")
        #expect(starts(obj).count == 2)
        #expect((templates(obj).first?["crashes"] as? [String])?.count == 1)
    }

    @Test func aStaleTemplateIsRefusedWithTheFix() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let module = tmp.write("mods/watched_pkg.py", "VERSION = 1\n")
        // The first server start changes the watched module, as an upgrade would.
        let p = plan(tmp, [("templated", true, ["--append-to", module])], watch: "fake_vllm_imports, watched_pkg", extraPath: ":" + tmp.path + "/mods")
        let text = try String(contentsOfFile: p, encoding: .utf8).replacingOccurrences(of: "preload: [fake_vllm_imports]", with: "preload: [fake_vllm_imports, watched_pkg]")
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        let out = doctor(["bench", "--root", repo, "--plan", p, "--runs", "3", "--json", "--ignore", "storage,model,runtime"], timeout: 120)
        #expect(out.status == 1)
        let obj = try results(out)
        let r = runs(obj, "templated")
        #expect(r.count == 2, "\(r)")   // bench stops at the refusal
        #expect(r.first?["outcome"] as? String == "ok")
        #expect(r.last?["cause"] as? String == TemplateHost.staleCause)
        let why = r.last?["diagnosis"] as? String ?? ""
        #expect(why.contains("watched_pkg.py changed on disk") && why.contains("re-run bench"), "\(why)")
        #expect(obj["partial"] as? Bool == true)
    }

    /// A preload that initialises CUDA (here the stand-in torch of the template's own tests):
    /// the template refuses to start, and bench says why and stops.
    @Test func aTemplateWhoseImportsInitialiseCUDAIsAClearError() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let p = plan(tmp, [("templated", true, [])], extraPath: ":" + Self.templateFolder + "/tests/fake_torch")
        let text = try String(contentsOfFile: p, encoding: .utf8).replacingOccurrences(of: "preload: [fake_vllm_imports]", with: "preload: [fake_vllm_imports, touches_cuda]")
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        let out = doctor(["bench", "--root", repo, "--plan", p, "--runs", "2", "--json", "--ignore", "storage,model,runtime"], timeout: 60)
        #expect(out.status == 1)
        let obj = try results(out)
        let r = runs(obj, "templated")
        #expect(r.count == 1)
        let why = r.first?["diagnosis"] as? String ?? ""
        #expect(why.contains("the template could not start") && why.contains("importing touches_cuda initialised CUDA"), "\(why)")
        #expect(ServerEvents(path: tmp.path + "/ev-templated").all().isEmpty)   // no server was forked
    }

    @Test func anotherUsersOrAnOpenSocketIsRefused() throws {
        let tmp = TempDir()
        let sock = tmp.path + "/t.sock"
        let (rc, said) = sh("python3 -c 'import socket,os; s=socket.socket(socket.AF_UNIX); os.umask(0o177); s.bind(\"\(sock)\")'")
        #expect(rc == 0, "\(said)")
        #expect(TemplateHost.socketProblem(sock) == nil)
        let other = TemplateHost.socketProblem(sock, uid: getuid() + 1) ?? ""
        #expect(other.contains("not by this user") && other.contains("refusing"), "\(other)")
        chmod(sock, 0o666)
        #expect(TemplateHost.socketProblem(sock)?.contains("others can open it") == true)
        let file = tmp.write("plain", "x")
        #expect(TemplateHost.socketProblem(file)?.contains("is not a socket") == true)
    }

    @Test func sigkillOfBenchStopsTheTemplateAndItsServer() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let p = plan(tmp, [("templated", true, ["--ready-delay", "60"])])
        let bench = try ChildProcess([doctorBinary, "bench", "--root", repo, "--plan", p, "--runs", "2", "--ignore", "storage,model,runtime"],
                                     environment: ProcessInfo.processInfo.environment)
        let events = ServerEvents(path: tmp.path + "/ev-templated")
        _ = try #require(events.waitFor("engine", timeout: 30))
        let server = try #require(events.all().first { $0["event"] as? String == "start" }?["pid"] as? Int)
        let engine = try #require(events.all().first { $0["event"] as? String == "engine" }?["pid"] as? Int)
        // The server's parent is its supervisor; the supervisor's is the template.
        let supervisor = try #require(parentPid(Int32(server)))
        let template = try #require(parentPid(supervisor))
        kill(bench.pid, SIGKILL)
        _ = bench.wait(timeout: 5)
        #expect(processGone(Int32(server), timeout: 15), "server outlived a SIGKILLed bench")
        #expect(processGone(Int32(engine), timeout: 15), "engine outlived a SIGKILLed bench")
        #expect(processGone(supervisor, timeout: 15), "the server's supervisor outlived a SIGKILLed bench")
        #expect(processGone(template, timeout: 15), "template outlived a SIGKILLed bench")
    }

    @Test func theTemplateKnobInExplore() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let p = plan(tmp, [("baseline", false, [])])
        let out = doctor(["bench", "--root", repo, "--plan", p, "--explore", "--knobs", "template", "--json", "--ignore", "storage,model,runtime"],
                         env: ["PYTHONDONTWRITEBYTECODE": ""], timeout: 120)
        #expect(out.status == 0, "\(out.stderr)")
        let obj = try results(out)
        let v = try #require((obj["variants"] as? [[String: Any]])?.first { $0["name"] as? String == "template" })
        #expect(v["template"] as? Bool == true)
        #expect(((v["runs"] as? [[String: Any]])?.first?["outcome"] as? String) == "ok")
        #expect(ServerEvents(path: tmp.path + "/ev-baseline").all().contains { $0["imports_inherited"] as? Bool == true })
    }

    /// The collector knob reaches the fork: its server starts with the template's heap frozen;
    /// the plain template knob's does not.
    @Test func theTemplateGCFreezeKnobInExplore() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let p = plan(tmp, [("baseline", false, [])])
        let out = doctor(["bench", "--root", repo, "--plan", p, "--explore", "--knobs", "template,template-gc-freeze", "--json", "--ignore", "storage,model,runtime"],
                         env: ["PYTHONDONTWRITEBYTECODE": ""], timeout: 120)
        #expect(out.status == 0, "\(out.stderr)")
        let obj = try results(out)
        let names = (obj["variants"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(names.contains("template") && names.contains("template-gc-freeze"))
        let starts = ServerEvents(path: tmp.path + "/ev-baseline").all().filter { $0["event"] as? String == "start" }
        let frozen = starts.compactMap { $0["gc_frozen"] as? Int }
        #expect(frozen.count == starts.count && starts.count >= 3, "\(starts)")
        #expect(frozen.contains { $0 > 1000 } && frozen.filter { $0 == 0 }.count >= 2, "\(frozen)")
    }

    @Test func aTemplateVariantNeedsAPythonCommandList() throws {
        let tmp = TempDir()
        let ctx = RunbookFacts(options: .init(root: makeRunbook(tmp)))
        #expect { try BenchPlan.parse("variants:\n  - {name: a, port: 8001, template: true, command: \"vllm serve m\"}\n", path: "p.yaml", context: ctx) }
            throws: { "\($0)".contains("template: true needs a restart variant whose command is a list") }
        #expect { try BenchPlan.parse("template: [x]\nvariants:\n  - {name: a, port: 8001, command: [python3, x]}\n", path: "p.yaml", context: ctx) }
            throws: { "\($0)".contains("p.yaml: template must be a mapping") }
        let ok = try BenchPlan.parse("variants:\n  - {name: a, port: 8001, template: true, command: [python3, -m, vllm.entrypoints.cli.main]}\n", path: "p.yaml", context: ctx)
        #expect(ok.usesTemplate && ok.variants[0].template)
    }

    func templateStatusPid(_ obj: [String: Any]) -> Int? {
        // The socket folder is named after bench's pid; the template's own pid is its status'.
        (templates(obj).first?["starts"] as? [[String: Any]])?.first?["pid"] as? Int
    }

    func parentPid(_ pid: Int32) -> Int32? {
        guard let stat = FileFacts.readSmall("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }
}

@Suite("bench --explore: the KV-cache size from an earlier start's log")
struct KVCacheKnobTests {
    @Test func theLoggedSizeIsReadInBytes() {
        #expect(BenchRunner.loggedKVCacheBytes(["x", "(EngineCore pid=1) INFO [gpu_worker.py:555] Available KV cache memory: 61.13 GiB"]) == Int(61.13 * 1_073_741_824))
        #expect(BenchRunner.loggedKVCacheBytes(["GPU KV cache size: 572,352 tokens"]) == nil)
    }

    @Test func theKnobAddsTheReferencesSizeAndTheProfileIsStillAPhase() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let port = freePort()
        let plan = tmp.write("plan.yaml", """
        variants:
          - name: baseline
            port: \(port)
            command: [python3, \(fakeServer), fake/model, --port, "\(port)", --ready-delay, "0.6"]

        """)
        let out = doctor(["bench", "--root", repo, "--plan", plan, "--explore", "--knobs", "kv-cache-memory", "--json", "--ignore", "storage,model,runtime"],
                         env: ["PYTHONDONTWRITEBYTECODE": ""], timeout: 120)
        #expect(out.status == 0, "\(out.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let v = try #require((obj["variants"] as? [[String: Any]])?.first { $0["name"] as? String == "kv-cache-memory" })
        let run = try #require((v["runs"] as? [[String: Any]])?.first)
        #expect((run["note"] as? String)?.contains("--kv-cache-memory-bytes \(Int(61.13 * 1_073_741_824))") == true, "\(run)")
        #expect((run["phases_s"] as? [String: Double])?["kv_cache_profile"] != nil, "\(run)")
    }
}

/// nvidia-smi as a GPU host answers it, for the GPU wait after a stop (no GPU here).
struct GPUAnswers: CommandRunning {
    let apps: @Sendable () -> String
    func run(_ argv: [String], timeout: TimeInterval) -> Result<CommandOutput, ProcessError> {
        if argv.contains("--query-gpu=index,name,memory.used,memory.total") {
            return .success(CommandOutput(status: 0, stdout: "0, NVIDIA H200, 567, 143771\n", stderr: "", timedOut: false))
        }
        if argv.first == "nvidia-smi" { return .success(CommandOutput(status: 0, stdout: apps(), stderr: "", timedOut: false)) }
        return SystemCommandRunner().run(argv, timeout: timeout)
    }
}

@Suite("bench: the GPU wait after a stop")
struct GPUWaitTests {
    /// The H200 session of 2026-11-29 waited 60 s after every stop: the store's own process
    /// never leaves the GPU. A process that was there before the start is not waited for.
    @Test func aProcessThatWasThereBeforeTheStartIsNotWaitedFor() {
        var env = BenchEnvironment(commands: GPUAnswers(apps: { "4242, sllm-store, 567\n" }))
        env.gpuPollTimeout = 3
        let runner = BenchRunner(plan: BenchPlan(variants: []), env: env)
        let before = GPUWatch(env).processIDs()
        #expect(before == [4242])
        var t = Date()
        runner.waitUntilClean(port: freePort(), ignoring: before)
        // Waiting for it would take the whole 3 s limit: anything under it did not wait.
        #expect(Date().timeIntervalSince(t) < 3)
        // A process of the server that is still there is waited for, up to the limit.
        t = Date()
        runner.waitUntilClean(port: freePort(), ignoring: [])
        #expect(Date().timeIntervalSince(t) >= 3)
        var r = RunRecord(variant: "v", run: 1)
        GPUWatch(env).recordAfterStop(&r, before: before)
        #expect(r.gpuAfterStop == "567 MiB used; 0 compute process(es) of this server left; there before the start: sllm-store pid 4242 567 MiB")
    }
}
