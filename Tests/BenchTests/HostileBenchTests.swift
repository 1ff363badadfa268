import Foundation
import Testing
import TestSupport
@testable import Bench
@testable import ServerClient
@testable import DoctorCore
@testable import SystemProbes
@testable import Runbook
@testable import Basics

/// A token of the real form, planted in inputs: it must never come back out.
let plantedToken = "hf_PlantedTokenAbcdefghijklmnop1234"

/// A runbook repo whose checks pass enough for bench to start (storage ignored).
func benchRepo(_ tmp: TempDir) -> String {
    let repo = makeRunbook(tmp)
    makeStore(modelFolder: tmp.path + "/nvme/sllm-models", repo: "meta-llama/Llama-3.1-8B-Instruct")
    makeHFCache(hub: tmp.path + "/nvme/hf-cache/hub", repo: "meta-llama/Llama-3.1-8B-Instruct")
    return repo
}

func fakePlan(_ tmp: TempDir, port: Int, events: String, extra: [String] = [], name: String = "baseline") -> String {
    let args = extra.map { "'\($0)'" }.joined(separator: ", ")
    return tmp.write("plan.yaml", """
    variants:
      - name: \(name)
        port: \(port)
        command: [python3, \(fakeServer), --port, '\(port)', --events, \(events)\(args.isEmpty ? "" : ", " + args)]

    """)
}

func everyFile(under dir: String) -> [String] {
    guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
    return e.compactMap { $0 as? String }.map { dir + "/" + $0 }.filter { FileFacts.isFile($0) }
}

@Suite("bench: honest records", .serialized)
struct HonestRecordTests {
    @Test func aServerDyingMidStreamIsACutOffRunNotAMeasurement() throws {
        let tmp = TempDir()
        let root = benchRepo(tmp)
        let events = ServerEvents(path: tmp.path + "/ev")
        let plan = fakePlan(tmp, port: freePort(), events: events.path, extra: ["--die-mid-stream", "3", "--tokens", "32"])
        let r = doctor(["bench", "--root", root, "--plan", plan, "--runs", "1", "--ignore", "storage", "--json"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(events.time("died_mid_stream") != nil)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let variant = try #require((obj["variants"] as? [[String: Any]])?.first)
        let run = try #require((variant["runs"] as? [[String: Any]])?.first)
        #expect(run["outcome"] as? String == "cut-off")
        #expect((run["diagnosis"] as? String)?.contains("3 token event(s)") == true)
        // Not a median, not a row.
        #expect((variant["median"] as? [String: Any])?["ready_ms"] == nil)
        #expect(!FileFacts.exists(root + "/benchmarks/README.md"))
    }

    @Test func aWholeReplyIsOk() throws {
        let tmp = TempDir()
        let root = benchRepo(tmp)
        let plan = fakePlan(tmp, port: freePort(), events: tmp.path + "/ev", extra: ["--tokens", "8"])
        let r = doctor(["bench", "--root", root, "--plan", plan, "--runs", "1", "--ignore", "storage"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: root + "/benchmarks/README.md", encoding: .utf8).contains("| 1/1 |"))
    }

    /// Property: cut a correct stream anywhere; the reply counts as finished only once the
    /// usage object has arrived and the token events it declares (or `[DONE]` after it).
    @Test func truncatedStreamsNeverCountAsFinished() {
        var events: [String] = []
        for i in 0..<5 { events.append("data: {\"choices\":[{\"index\":0,\"text\":\" t\(i)\"}]}\n\n") }
        events.append("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":5}}\n\n")
        events.append("data: [DONE]\n\n")
        let whole = Array(events.joined().utf8)
        let usageEnd = Array(events.prefix(6).joined().utf8).count
        var generator = SystemRandomNumberGenerator()
        var cases = 0
        for cut in 0...whole.count {
            let parser = SSEParser()
            // Feed in random pieces, as a socket would deliver them.
            var i = 0
            while i < cut {
                let n = min(cut - i, Int.random(in: 1...17, using: &generator))
                parser.feed(Data(whole[i..<(i + n)]), at: Date())
                i += n
            }
            #expect(parser.isFinished == (cut >= usageEnd), "cut at \(cut) of \(whole.count)")
            cases += 1
        }
        #expect(cases == whole.count + 1)
        // Usage that declares more tokens than arrived, with no [DONE]: not finished.
        let short = SSEParser()
        short.feed(Data((events.prefix(3) + [events[5]]).joined().utf8), at: Date())
        #expect(!short.isFinished)
    }
}

@Suite("bench: no orphans, whatever stops it", .serialized)
struct NoOrphanTests {
    /// Starts bench on a server that never gets ready; returns bench, the server and its engine.
    func startBench(_ tmp: TempDir) throws -> (bench: ChildProcess, server: Int32, engine: Int32, root: String) {
        let root = benchRepo(tmp)
        let events = ServerEvents(path: tmp.path + "/ev")
        let plan = fakePlan(tmp, port: freePort(), events: events.path, extra: ["--ready-delay", "60", "--engine-child"])
        let bench = try ChildProcess([doctorBinary, "bench", "--root", root, "--plan", plan, "--runs", "2", "--ignore", "storage"],
                                     environment: ProcessInfo.processInfo.environment)
        _ = try #require(events.waitFor("engine"))
        let server = try #require(events.all().first { $0["event"] as? String == "start" }?["pid"] as? Int)
        let engine = try #require(events.all().first { $0["event"] as? String == "engine" }?["pid"] as? Int)
        return (bench, Int32(server), Int32(engine), root)
    }

    @Test(arguments: [SIGHUP, SIGTERM, SIGINT, SIGQUIT])
    func handledSignalStopsServerAndEngineAndWritesPartialResults(_ sig: Int32) throws {
        let tmp = TempDir()
        let (bench, server, engine, root) = try startBench(tmp)
        kill(bench.pid, sig)
        #expect(bench.wait(timeout: 20) == 1)
        #expect(processGone(server), "server left behind after signal \(sig)")
        #expect(processGone(engine), "engine child left behind after signal \(sig)")
        let json = try #require(try FileManager.default.contentsOfDirectory(atPath: root + "/benchmarks/results").first { $0.hasSuffix(".json") })
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/benchmarks/results/" + json))) as? [String: Any])
        #expect(obj["partial"] as? Bool == true)
    }

    @Test func sigkillOfBenchStillStopsServerAndEngine() throws {
        let tmp = TempDir()
        let (bench, server, engine, _) = try startBench(tmp)
        kill(bench.pid, SIGKILL)
        _ = bench.wait(timeout: 5)
        // The watchdog sees the pipe close and stops the group (SIGTERM, SIGKILL after 5 s).
        #expect(processGone(server, timeout: 10), "server outlived a SIGKILLed bench")
        #expect(processGone(engine, timeout: 10), "engine outlived a SIGKILLed bench")
    }
}

@Suite("bench: validated input, bounded work", .serialized)
struct BenchInputTests {
    static let badPlans: [(String, String, String)] = [
        ("runs: .nan", "runs", "whole number"),
        ("runs: 1000000000000", "runs", "expected 1-1000"),
        ("runs: true", "runs", "whole number"),
        ("ready_timeout_s: .inf", "ready_timeout_s", "finite"),
        ("ready_timeout_s: -5", "ready_timeout_s", "finite"),
        ("stop_grace_s: .nan", "stop_grace_s", "finite"),
        ("stop_grace_s: 1e300", "stop_grace_s", "finite"),
        ("max_tokens: 0", "max_tokens", "expected 1-65536"),
        ("max_tokens: '64'", "max_tokens", "whole number"),
    ]

    @Test func everyBadNumberIsAUsageErrorNamingItsKey() throws {
        let tmp = TempDir()
        let root = benchRepo(tmp)
        var cases = 0
        for (line, key, words) in Self.badPlans {
            let plan = tmp.write("bad-\(cases).yaml", "\(line)\nvariants:\n  - name: a\n    port: 18123\n    command: [sleep, '60']\n")
            let r = doctor(["bench", "--root", root, "--plan", plan, "--ignore", "storage"], timeout: 20)
            #expect(r.status == 2, "\(line): \(r.stderr)")
            #expect(r.stderr.contains(key) && r.stderr.contains(words), "\(line): \(r.stderr)")
            cases += 1
        }
        for (flag, value) in [("--ready-timeout", "nan"), ("--ready-timeout", "inf"), ("--stop-grace", "-1"), ("--runs", "0"), ("--runs", "100000")] {
            let plan = tmp.write("ok.yaml", "variants:\n  - name: a\n    port: 18123\n    command: [sleep, '60']\n")
            let r = doctor(["bench", "--root", root, "--plan", plan, "--ignore", "storage", flag, value], timeout: 20)
            #expect(r.status == 2, "\(flag) \(value): \(r.stderr)")
            #expect(r.stderr.contains(flag), "\(flag) \(value): \(r.stderr)")
            cases += 1
        }
        #expect(cases == Self.badPlans.count + 5)
    }

    @Test func hostileYAMLInAPlanIsRefusedWithFileAndLine() throws {
        let tmp = TempDir()
        let ctx = RunbookFacts(options: .init(root: tmp.path))
        // A complex key (Yams' own loader traps on it).
        let complex = tmp.write("complex.yaml", "variants:\n  - name: a\n    port: 8001\n    ? [x, y]\n    : z\n")
        #expect { try BenchPlan.load(path: complex, context: ctx) } throws: { "\($0)".contains("complex.yaml:4: a mapping key must be a plain name") }
        // Nine levels of nine aliases: 9^9 values once expanded.
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
        let names = ["b", "c", "d", "e", "f", "g", "h", "i"]
        var previous = "a"
        for n in names {
            bomb += "\(n): &\(n) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
            previous = n
        }
        bomb += "variants: *i\n"
        let bombFile = tmp.write("bomb.yaml", bomb)
        #expect { try BenchPlan.load(path: bombFile, context: ctx) } throws: { "\($0)".contains("alias bomb") }
        // A broken line holding a token: the error names the line, never the text.
        let broken = tmp.write("broken.yaml", "variants:\n  - name: a\n    port: 8001\n    command: \"vllm serve --token \(plantedToken)\n  bad: [\n")
        let r = doctor(["bench", "--root", benchRepo(tmp), "--plan", broken])
        #expect(r.status == 2)
        #expect(r.stderr.contains("broken.yaml:"), "\(r.stderr)")
        #expect(!r.stderr.contains(plantedToken))
    }

    @Test(arguments: ["../../escape", "a/b", "/etc/passwd", ".hidden", "", "x y", String(repeating: "n", count: 65)])
    func variantNamesThatAreNotFileNamesAreRefused(_ name: String) throws {
        let tmp = TempDir()
        let root = benchRepo(tmp)
        let plan = tmp.write("plan.yaml", "variants:\n  - name: '\(name)'\n    port: 18124\n    command: [sleep, '60']\n")
        let r = doctor(["bench", "--root", root, "--plan", plan, "--ignore", "storage", "--results-dir", tmp.path + "/results"])
        #expect(r.status == 2, "\(name): \(r.stderr)")
        #expect(!FileFacts.exists(tmp.path + "/results"))
        #expect(!FileFacts.exists(tmp.path + "/escape_run1.log"))
    }

    @Test func aTokenAsVariantNameIsRefusedWithoutEchoingIt() throws {
        let tmp = TempDir()
        let plan = fakePlan(tmp, port: freePort(), events: tmp.path + "/ev", name: plantedToken)
        let r = doctor(["bench", "--root", benchRepo(tmp), "--plan", plan, "--runs", "1", "--ignore", "storage"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("looks like a secret token"))
        #expect(!r.stderr.contains(plantedToken))
    }

    @Test func tokensInNotesAndServerOutputAreMaskedInEveryFileBenchWrites() throws {
        let tmp = TempDir()
        let root = benchRepo(tmp)
        let plan = fakePlan(tmp, port: freePort(), events: tmp.path + "/ev", extra: ["--echo", "token=\(plantedToken)"])
        let r = doctor(["bench", "--root", root, "--plan", plan, "--runs", "1", "--ignore", "storage", "--json",
                        "--note", "from \(plantedToken)"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.contains(plantedToken) && !r.stderr.contains(plantedToken))
        let files = everyFile(under: root + "/benchmarks")
        #expect(files.contains { $0.hasSuffix(".svg") } && files.contains { $0.hasSuffix("README.md") } && files.contains { $0.hasSuffix(".log") })
        for f in files {
            let text = try String(contentsOfFile: f, encoding: .utf8)
            #expect(!text.contains(plantedToken), "token in \(f)")
        }
    }
}

/// The quick form of `make fuzz` for plan files: random plans never trap; a refusal is a
/// PlanError that names the file.
@Suite("hostile input: plan files")
struct HostilePlanTests {
    @Test func anyPlanTextParsesOrIsRefusedNamingTheFile() {
        var rng = SystemRandomNumberGenerator()
        let tmp = TempDir()
        let context = RunbookFacts(options: .init(root: tmp.path))
        let pieces = ["variants:", "\n", "  ", "- ", "name: a", "name: ../x", "port: 8001", "port: 99999999999999999999", "port: -1",
                      "command: [a, b]", "command: 'sh x'", "compose: {service: s}", "kind: wake", "kind: nope", "runs: 3",
                      "runs: 1e308", "ready_timeout_s: .nan", "sleep_level: 2", "serverless_llm: true", "env: {A: 1}", ":", "[", "]", "{", "}"]
        let valid = "runs: 2\nvariants:\n  - name: a\n    port: 8001\n    command: [a, b]\n  - name: w\n    kind: wake\n    port: 8003\n    command: 'sh x'\n"
        var parsed = 0
        for i in 0..<3000 {
            let text = grammarSample(i, valid: valid, pieces: pieces, maxPieces: 30, using: &rng)
            do { _ = try BenchPlan.parse(text, path: "p.yaml", context: context); parsed += 1 }
            catch let e as PlanError { #expect(e.description.hasPrefix("p.yaml"), "\(text.debugDescription): \(e)") }
            catch { Issue.record("unexpected error for \(text.debugDescription): \(error)") }
        }
        #expect(parsed > 0)
    }
}

/// A key the parser does not read used to be ignored: `warmup_runs: 1` at a plan's top ran
/// every variant without its warm-up start, and the first (cold) start counted (H200, 2026-12-02).
@Suite("plan keys: none ignored")
struct PlanKeyTests {
    let context = RunbookFacts(options: .init(root: TempDir().path))
    let variant = "  - name: a\n    port: 8001\n    command: [python3, -m, x]\n"

    @Test func anUnknownKeyIsRefusedNamingItAndTheKnownOnes() throws {
        for (text, key, place) in [("runz: 3\nvariants:\n" + variant, "runz", "p.yaml: runz is not a plan key"),
                                   ("variants:\n" + variant + "    warmup: 1\n", "warmup", "p.yaml: variants[0] (a): warmup is not a variant key")] {
            do {
                _ = try BenchPlan.parse(text, path: "p.yaml", context: context)
                Issue.record("accepted \(key)")
            } catch let e as PlanError {
                #expect(e.description.hasPrefix(place), "\(e)")
                #expect(e.description.contains("warmup_runs"), "the known keys are named: \(e)")
                #expect(e.key == key)
            }
        }
    }

    @Test func warmupRunsAtTheTopApplyToEveryVariantUnlessOneSaysOtherwise() throws {
        let text = "warmup_runs: 2\nvariants:\n" + variant + "  - name: b\n    port: 8002\n    command: [python3, -m, x]\n    warmup_runs: 0\n"
        let plan = try BenchPlan.parse(text, path: "p.yaml", context: context)
        #expect(plan.variants.map(\.warmupRuns) == [2, 0])
        #expect(try BenchPlan.parse("variants:\n" + variant, path: "p.yaml", context: context).variants[0].warmupRuns == 0)
        #expect(throws: PlanError.self) { try BenchPlan.parse("warmup_runs: 11\nvariants:\n" + variant, path: "p.yaml", context: context) }
        #expect(throws: PlanError.self) { try BenchPlan.parse("variants:\n" + variant + "    warmup_runs: -1\n", path: "p.yaml", context: context) }
    }
}
