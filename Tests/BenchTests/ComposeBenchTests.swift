import Foundation
import Testing
import TestSupport
@testable import Bench
@testable import DoctorCore
@testable import SystemProbes
@testable import Runbook
@testable import Basics

/// The runbook's layout for real: `vllm_bridge/docker-compose.yml` with vllm_baseline,
/// vllm_faststart and sllm_store, started by docker-compose against a private dockerd.
/// The "vLLM" inside is the loopback stand-in, bind-mounted from Tests/Standins/; every container
/// uses the host's network and listens on 127.0.0.1 only.
struct ComposeRepo {
    let tmp = TempDir("compose")
    let root: String
    let events: String
    let baselinePort = freePort()
    let faststartPort = freePort()

    struct Options {
        var toggle = true
        var baselineArgs: [String] = []
        var faststartArgs: [String] = []
        var restart = "unless-stopped"
        var baselineImage = TestDocker.image
    }

    init(_ o: Options = Options()) {
        root = tmp.path + "/repo"
        events = tmp.mkdir("events")
        chmod(events, 0o777)
        let models = tmp.mkdir("nvme/sllm-models"), cache = tmp.mkdir("nvme/hf-cache")
        let repoName = "meta-llama/Llama-3.1-8B-Instruct"
        makeHFCache(hub: cache + "/hub", repo: repoName)
        makeStore(modelFolder: models, repo: repoName)
        tmp.write("repo/.env", """
        MODEL_FOLDER=\(models)
        HF_CACHE_FOLDER=\(cache)
        MODEL_NAME=\(repoName)
        MEM_POOL_SIZE=32GB
        VLLM_BASELINE_PORT=\(baselinePort)
        VLLM_FASTSTART_PORT=\(faststartPort)

        """, mode: 0o600)
        let scripts = FileFacts.parent(of: fakeServer)
        func list(_ a: [String]) -> String { a.map { "\"\($0)\"" }.joined(separator: ", ") }
        let env = o.toggle ? "environment: *offline_env" : "environment:\n      HF_HUB_OFFLINE: \"0\""
        func server(_ name: String, _ port: Int, _ profile: String, _ args: [String], image: String) -> String {
            """
              \(name):
                image: \(image)
                container_name: \(name)
                network_mode: host
                restart: \(o.restart)
                profiles: [\(profile)]
                volumes: ["\(scripts):/scripts:ro", "\(events):/events"]
                \(env)
                command: [python3, /scripts/fake_vllm.py, \(repoName), "--port", "\(port)", "--events", "/events/\(name).jsonl", \(list(["--ready-delay", "0.4"] + args))]

            """
        }
        tmp.write("repo/vllm_bridge/docker-compose.yml", """
        x-offline-env: &offline_env
          HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-0}
          TRANSFORMERS_OFFLINE: ${TRANSFORMERS_OFFLINE:-0}
        services:
          sllm_store:
            image: \(TestDocker.image)
            container_name: sllm_store
            network_mode: host
            environment: *offline_env
            command: [python3, -c, "import signal, sys, time; signal.signal(signal.SIGTERM, lambda *a: sys.exit(0)); time.sleep(1e9)"]
        \(server("vllm_baseline", baselinePort, "baseline", o.baselineArgs, image: o.baselineImage))\(server("vllm_faststart", faststartPort, "faststart", o.faststartArgs, image: TestDocker.image))
        """)
    }

    var composeFile: String { root + "/vllm_bridge/docker-compose.yml" }
    func serverEvents(_ service: String) -> ServerEvents { ServerEvents(path: events + "/\(service).jsonl") }

    func bench(_ args: [String], env: [String: String] = TestDocker.env, timeout: TimeInterval = 120) -> CommandOutput {
        doctor(["bench", "--root", root, "--ignore", "storage"] + args, env: env, timeout: timeout)
    }

    func compose(_ args: String) -> (Int32, String) {
        sh("cd \(root) && DOCKER_HOST=\(TestDocker.host ?? "") docker-compose -f \(composeFile) --env-file .env \(args)")
    }

    /// No container survives a test, whatever it did.
    func cleanup() { TestDocker.docker("rm -f vllm_baseline vllm_faststart sllm_store") }
}

func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

func runs(_ obj: [String: Any], _ variant: String) -> [[String: Any]] {
    ((obj["variants"] as? [[String: Any]])?.first { $0["name"] as? String == variant }?["runs"] as? [[String: Any]]) ?? []
}

@Suite("bench and check against a real Docker engine (docker-compose)", .serialized,
       .enabled(if: TestDocker.available, "no private Docker engine: run the tests through `make test` as root (scripts/with-test-docker.sh starts one)"))
struct ComposeBenchTests {
    init() { #expect(TestDocker.host != nil, "SLLM_REQUIRE_DOCKER=1 but no engine: \(TestDocker.skipReason)") }

    @Test func runbookLayoutTwoRunsEachWithContainerStartAsItsOwnPhase() throws {
        let repo = ComposeRepo()
        defer { repo.cleanup() }
        let r = repo.bench(["--runs", "2", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try json(r.stdout)
        #expect((obj["compose"] as? String)?.hasPrefix("docker-compose 1.") == true, "\(obj["compose"] ?? "")")
        #expect(r.stderr.contains("| container_start |"))
        for (variant, service) in [("baseline", "vllm_baseline"), ("faststart", "vllm_faststart")] {
            let records = runs(obj, variant)
            #expect(records.count == 2)
            let events = repo.serverEvents(service).all()
            let readies = events.filter { $0["event"] as? String == "ready" }.compactMap { $0["t"] as? Double }
            let completionRequests = events.filter { $0["event"] as? String == "completion_request" }.compactMap { $0["t"] as? Double }
            #expect(readies.count == 2)
            for (i, run) in records.enumerated() where i < readies.count {
                #expect(run["outcome"] as? String == "ok")
                let container = try #require(run["container_start_ms"] as? Double)
                #expect(container > 0 && container < (run["ready_ms"] as? Double ?? 0))
                #expect((run["phases_s"] as? [String: Double])?["container_start"] != nil)
                // Ready as bench saw it lies between the instant the server bound its port and
                // the arrival of bench's first request after it: an order of events no load can
                // change (a fixed tolerance could). How close it is, is measured by
                // lab/rehearse-compose.sh (2-10 ms here), not asserted. 2 ms: spawned_at's rounding.
                let spawned = try #require((run["spawned_at"] as? String).flatMap { ISO8601DateFormatter.withFraction.date(from: $0) })
                let seen = spawned.timeIntervalSince1970 + (run["ready_ms"] as? Double ?? 0) / 1000
                let requested = try #require(completionRequests.first { $0 > readies[i] }, "\(variant) run \(i + 1): no completion after ready")
                #expect(seen > readies[i] - 0.002, "\(variant) run \(i + 1): bench's ready is \(Int((readies[i] - seen) * 1000)) ms before the server bound its port")
                #expect(seen < requested + 0.002, "\(variant) run \(i + 1): bench's ready is \(Int((seen - requested) * 1000)) ms after its completion request arrived")
            }
        }
        #expect(TestDocker.docker("ps -aq --filter name=vllm_").1.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        let readme = try String(contentsOfFile: repo.root + "/benchmarks/README.md", encoding: .utf8)
        #expect(readme.contains("compose=docker-compose 1."))
    }

    @Test func offlineReachesTheContainersOrTheRunFailsNamingTheService() throws {
        let repo = ComposeRepo()
        defer { repo.cleanup() }
        let r = repo.bench(["--runs", "1", "--json", "--offline"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try json(r.stdout)
        #expect(runs(obj, "baseline").first?["offline_verified"] as? String == "HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1")

        let hard = ComposeRepo(.init(toggle: false))
        defer { hard.cleanup() }
        let bad = hard.bench(["--runs", "1", "--json", "--offline", "--ignore", "offline.compose"])
        #expect(bad.status == 1)
        let run = try #require(runs(try json(bad.stdout), "baseline").first)
        #expect(run["outcome"] as? String == "failed")
        #expect((run["diagnosis"] as? String)?.contains("--offline did not reach service vllm_baseline: its container has HF_HUB_OFFLINE=0") == true)
    }

    @Test func aCrashLoopingBaselineIsCaughtInSecondsWithItsTailAndCause() throws {
        let repo = ComposeRepo(.init(baselineArgs: ["--crash-after", "0.3"]))
        defer { repo.cleanup() }
        let started = Date()
        let r = repo.bench(["--runs", "1", "--json", "--offline"])
        #expect(r.status == 1)
        #expect(Date().timeIntervalSince(started) < 60)
        let run = try #require(runs(try json(r.stdout), "baseline").first)
        #expect(run["outcome"] as? String == "crash-loop")
        #expect(run["cause"] as? String == "hf-cache-missing-offline")
        #expect((run["last_lines"] as? [String])?.contains { $0.contains("LocalEntryNotFoundError") } == true)
        let crashed = try #require(repo.serverEvents("vllm_baseline").time("crash"))
        let spawned = try #require((run["spawned_at"] as? String).flatMap { ISO8601DateFormatter.withFraction.date(from: $0) })
        let seenAfter = spawned.addingTimeInterval((run["crash_seen_ms"] as? Double ?? 0) / 1000).timeIntervalSince(crashed)
        #expect(seenAfter >= 0 && seenAfter < 3, "crash seen \(seenAfter) s after it happened")
        #expect(r.stderr.contains("HF cache missing while offline: warm it online (runbook step 5)"))
        #expect(r.stderr.contains("│") && r.stderr.contains("LocalEntryNotFoundError"))
    }

    @Test(.enabled(if: geteuid() == 0, "--drop-caches needs root"))
    func dropCachesRestartsTheStoreBeforeEachFaststartRun() throws {
        let repo = ComposeRepo()
        defer { repo.cleanup() }
        #expect(repo.compose("up -d sllm_store").0 == 0)
        let before = TestDocker.docker("inspect -f '{{.State.StartedAt}}' sllm_store").1
        let r = repo.bench(["--runs", "1", "--json", "--drop-caches"])
        #expect(r.status == 0, "\(r.stderr)")
        let run = try #require(runs(try json(r.stdout), "faststart").first)
        #expect(run["store_restarted"] as? Bool == true)
        #expect((run["store_restart_ms"] as? Double ?? 0) > 0)
        #expect(runs(try json(r.stdout), "baseline").first?["store_restarted"] as? Bool == false)
        #expect(TestDocker.docker("inspect -f '{{.State.StartedAt}}' sllm_store").1 != before)
        #expect(r.stderr.contains("store restarted, up again after"))
    }

    @Test func leftoverContainersAreSeenByCheck() throws {
        let repo = ComposeRepo()
        defer { repo.cleanup() }
        #expect(repo.compose("up -d sllm_store").0 == 0)
        let r = doctor(["check", "--root", repo.root, "--only", "runtime", "--json"], env: TestDocker.env)
        let checks = try #require(try json(r.stdout)["checks"] as? [[String: Any]])
        let leftovers = try #require(checks.first { $0["id"] as? String == "runtime.containers" })
        #expect(leftovers["status"] as? String == "warn")
        #expect((leftovers["summary"] as? String)?.contains("sllm_store") == true)
        let compose = try #require(checks.first { $0["id"] as? String == "runtime.compose" })
        #expect(compose["status"] as? String == "pass", "\(compose)")
    }

    @Test func composeToggleRepairIsAcceptedByDockerCompose() throws {
        let repo = ComposeRepo(.init(toggle: false))
        defer { repo.cleanup() }
        let fixed = doctor(["fix", "--root", repo.root, "--only", "compose-toggle", "--yes"], env: TestDocker.env)
        #expect(fixed.status == 0, "\(fixed.stdout)")
        let (rc, out) = repo.compose("config -q")
        #expect(rc == 0, "\(out)")
        let check = doctor(["check", "--root", repo.root, "--only", "offline.compose,runtime.compose"], env: TestDocker.env)
        #expect(check.status == 0, "\(check.stdout)")
    }

    @Test func interruptMidRunLeavesNoContainer() throws {
        let repo = ComposeRepo(.init(baselineArgs: ["--ready-delay", "60"]))
        defer { repo.cleanup() }
        let bench = try ChildProcess([doctorBinary, "bench", "--root", repo.root, "--ignore", "storage", "--runs", "1"],
                                     environment: ProcessInfo.processInfo.environment.merging(TestDocker.env) { $1 })
        _ = try #require(repo.serverEvents("vllm_baseline").waitFor("start", timeout: 60))
        kill(bench.pid, SIGINT)
        #expect(bench.wait(timeout: 60) == 1)
        #expect(TestDocker.docker("ps -aq").1.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    @Test func badInputGivesOneClearLineAndStartsNothing() throws {
        // A file compose rejects: the preflight names the file and compose's words.
        let broken = ComposeRepo()
        defer { broken.cleanup() }
        broken.tmp.write("repo/vllm_bridge/docker-compose.yml", "services:\n  vllm_baseline:\n    image: x\n    ports: 12\n")
        let r1 = broken.bench(["--runs", "1"])
        #expect(r1.status == 1)
        #expect(r1.stderr.contains("runtime.compose") && r1.stderr.contains("vllm_bridge/docker-compose.yml would be rejected by compose: vllm_bridge/docker-compose.yml:4: services.vllm_baseline.ports: must be a list"), "\(r1.stderr)")

        // An image that is not there (--no-build): the run names the service and the fix.
        let noImage = ComposeRepo(.init(baselineImage: "sllm-doctor-missing:none"))
        defer { noImage.cleanup() }
        let r2 = noImage.bench(["--runs", "1", "--json"])
        #expect(r2.status == 1)
        let run = try #require(runs(try json(r2.stdout), "baseline").first)
        #expect((run["diagnosis"] as? String)?.contains("the image of vllm_baseline") == true, "\(run)")

        // An unknown service in a plan.
        let plan = noImage.tmp.write("plan.yaml", "variants:\n  - name: a\n    port: \(freePort())\n    compose: {service: vllm_nowhere}\n")
        let r3 = noImage.bench(["--runs", "1", "--json", "--plan", plan])
        #expect(r3.status == 1)
        #expect((runs(try json(r3.stdout), "a").first?["diagnosis"] as? String)?.contains("no service vllm_nowhere") == true, "\(r3.stdout)")

        // The port already taken by something else: the run refuses to time it.
        let busy = ComposeRepo()
        defer { busy.cleanup() }
        let squatter = try ChildProcess(["python3", "-m", "http.server", "--bind", "127.0.0.1", String(busy.baselinePort)],
                                        environment: ProcessInfo.processInfo.environment)
        defer { squatter.terminate(grace: 1) }
        let deadline = Date().addingTimeInterval(10)
        while !HTTPClient.isListening(port: busy.baselinePort) && Date() < deadline { usleep(20_000) }
        let r4 = busy.bench(["--runs", "1", "--json", "--ignore", "runtime.ports"])
        #expect(r4.status == 1)
        #expect((runs(try json(r4.stdout), "baseline").first?["diagnosis"] as? String)?.contains("port \(busy.baselinePort) is already in use") == true)
        #expect(TestDocker.docker("ps -aq").1.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    @Test func theEngineStoppingMidRunIsNamedAndThePartialResultsAreWritten() throws {
        // An engine of this test's own: stopping the shared one would break the other tests.
        let engine = try ThrowawayDockerEngine()
        let repo = ComposeRepo(.init(baselineArgs: ["--ready-delay", "60"]))
        let resultsDir = repo.tmp.mkdir("results")
        let bench = try ChildProcess([doctorBinary, "bench", "--root", repo.root, "--ignore", "storage", "--runs", "2",
                                      "--results-dir", resultsDir],
                                     environment: ProcessInfo.processInfo.environment.merging(["DOCKER_HOST": engine.host]) { $1 })
        _ = try #require(repo.serverEvents("vllm_baseline").waitFor("start", timeout: 60))
        let stopped = Date()
        engine.stop()   // as `systemctl stop docker` does: the engine stops its containers, then exits
        let status = bench.wait(timeout: 60)
        bench.drainOutput()
        let stderr = bench.output.filter { $0.stream == .stderr }.map(\.text).joined(separator: "\n")
        #expect(status == 1, "\(stderr)")
        #expect(Date().timeIntervalSince(stopped) < 40)
        // One clear line naming the engine and what to do, and no second run against a dead engine.
        #expect(stderr.contains("Docker engine stopped answering"), "\(stderr)")
        #expect(stderr.contains("start it again") || stderr.contains("systemctl start docker"), "\(stderr)")
        let written = try #require(try FileManager.default.contentsOfDirectory(atPath: resultsDir).first { $0.hasSuffix(".json") })
        let results = try json(String(contentsOfFile: resultsDir + "/" + written, encoding: .utf8))
        let baseline = runs(results, "baseline")
        #expect(baseline.count == 1, "\(baseline)")
        #expect(!stderr.contains("crash-loop, not a hang") && !stderr.contains("is not present"), "\(stderr)")
        #expect(results["partial_reason"] as? String == "the Docker engine stopped answering")
        #expect(baseline.first?["cause"] as? String == "docker-engine-stopped")
        #expect((baseline.first?["diagnosis"] as? String)?.contains("Docker engine stopped answering") == true, "\(baseline)")
        // Nothing of the stand-in is left listening.
        #expect(!HTTPClient.isListening(port: repo.baselinePort))
    }

    @Test(.enabled(if: geteuid() == 0 && ChildProcess.resolve("setpriv") != nil, "needs root and setpriv"))
    func anEngineThatRefusesThisUserIsAFailureNotASkip() throws {
        let repo = ComposeRepo()
        defer { repo.cleanup() }
        chmod(repo.tmp.path, 0o755); chmod(repo.root, 0o755); chmod(repo.root + "/.env", 0o644)
        chmod(repo.root + "/vllm_bridge", 0o755); chmod(repo.composeFile, 0o644)
        let (_, out) = sh("DOCKER_HOST=\(TestDocker.host ?? "") setpriv --reuid=65534 --regid=65534 --clear-groups \(doctorBinary) check --root \(repo.root) --only runtime.compose,runtime.containers; echo rc=$?")
        #expect(out.contains("rc=1"), "\(out)")
        #expect(out.contains("refuses this user"), "\(out)")
        #expect(out.contains("usermod -aG docker"))
    }
}

@Suite("compose: a container's log in its own order")
struct ComposeLogOrderTests {
    @Test func stdoutAndStderrAreMergedByDockersTimestamps() {
        let now = Date()
        // As two reader threads may deliver them: stderr's crash lines first, stdout's after.
        let texts = ["2026-12-02T10:01:58.9Z huggingface_hub.errors.LocalEntryNotFoundError: Cannot find",
                     "2026-12-02T10:01:58.45Z loading weights",
                     "   continuation without a time",
                     "2026-12-02T10:01:58.123456789Z INFO starting",
                     "2026-12-02T10:01:58.5Z OSError: We couldn't connect"]
        let lines = texts.map { TimedLine(stream: .stdout, arrival: now, text: $0) }
        let ordered = ComposeServer.inLogOrder(lines).map(\.text)
        #expect(ordered == [texts[3], texts[1], texts[2], texts[4], texts[0]])
        #expect(ComposeServer.sortKey("2026-12-02T10:01:58Z x") == "2026-12-02T10:01:58.000000000")
        #expect(ComposeServer.sortKey("INFO 12-02 10:01:58 x") == nil)
    }
}
