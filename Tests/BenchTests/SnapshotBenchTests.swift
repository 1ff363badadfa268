import Foundation
import Testing
import TestSupport
@testable import Bench
@testable import ServerClient
@testable import DoctorCore
@testable import SystemProbes
@testable import Runbook
@testable import Basics

/// Snapshot variants: the plan key, the preflight that gates them, and (with a real CRIU, as
/// root) bench making the image of the loopback stand-in once and restoring it each run.
/// CRIU comes from SLLM_CRIU (scripts/fetch-criu.sh; `make test` sets it); without it or root
/// the CRIU test is skipped with its reason, unless SLLM_REQUIRE_CRIU=1, where it fails.
@Suite("bench: snapshot variants", .serialized)
struct SnapshotBenchTests {
    static let package = FileFacts.parent(of: fixturesDir) + "/../integrations/vllm-snapshot"

    static let criuMissing: String? = {
        if getuid() != 0 { return "CRIU needs root" }
        if (ProcessInfo.processInfo.environment["SLLM_CRIU"] ?? "").isEmpty { return "SLLM_CRIU unset (scripts/fetch-criu.sh fetches a CRIU; make test sets it)" }
        return nil
    }()
    static let criuRequired = ProcessInfo.processInfo.environment["SLLM_REQUIRE_CRIU"] == "1"

    func parse(_ variant: String, tmp: TempDir) throws -> BenchPlan {
        let text = "variants:\n" + variant
        return try BenchPlan.parse(text, path: tmp.path + "/plan.yaml", context: RunbookFacts(options: .init(root: tmp.path)))
    }

    func parseError(_ variant: String, tmp: TempDir) -> PlanError? {
        do { _ = try parse(variant, tmp: tmp); return nil } catch let e as PlanError { return e } catch { return PlanError("\(error)") }
    }

    // MARK: - The plan key

    @Test func theSnapshotKeyIsParsedWithItsDefaults() throws {
        let tmp = TempDir()
        let plan = try parse("""
          - name: snap
            port: 8001
            command: [/opt/venv/bin/python3.12, -m, vllm.entrypoints.cli.main, serve, m]
            snapshot: {image: images/8b, vllm_version: 0.11.0}
          - name: shell
            port: 8002
            command: vllm serve m
            snapshot: {image: /srv/img, python: /usr/bin/python3.11, pythonpath: /opt/vllm-snapshot}
          - name: plain
            port: 8003
            command: vllm serve m

        """, tmp: tmp)
        let snap = try #require(plan.variants[0].snapshot)
        #expect(snap.image == FileFacts.canonicalPath(tmp.path) + "/images/8b")
        #expect(snap.python == "/opt/venv/bin/python3.12")   // the command's own Python
        #expect(snap.vllmVersion == "0.11.0")
        #expect(snap.pythonPath == FileFacts.canonicalPath(tmp.path) + "/integrations/vllm-snapshot")
        #expect(snap.restoreArgv == ["/opt/venv/bin/python3.12", "-m", "vllm_snapshot", "restore", "--image", snap.image, "--vllm-version", "0.11.0"])
        let shell = try #require(plan.variants[1].snapshot)
        #expect(shell.python == "/usr/bin/python3.11" && shell.vllmVersion == nil && shell.pythonPath == "/opt/vllm-snapshot")
        #expect(SnapshotSpec.defaultPython(["vllm", "serve", "m"]) == "python3")
        #expect(plan.variants[2].snapshot == nil)
        #expect(plan.usesSnapshot)
        // The launcher catalogue: a snapshot variant is restored, a plain one is started.
        #expect(Launcher.all.first { $0.takes(plan.variants[0]) } is SnapshotLauncher)
        #expect(Launcher.all.first { $0.takes(plan.variants[2]) } is ProcessLauncher)
    }

    @Test(arguments: [
        ("snapshot: /srv/img", "snapshot", "snapshot must be a mapping"),
        ("snapshot: {python: python3}", "snapshot.image", "snapshot.image must be the image folder"),
        ("snapshot: {image: ''}", "snapshot.image", "snapshot.image must be the image folder"),
        ("snapshot: {image: /srv/img, pyhton: python3}", "snapshot.pyhton", "snapshot.pyhton is not a key of snapshot"),
        ("snapshot: {image: /srv/img, python: [a, b]}", "snapshot.python", "snapshot.python must be a single word"),
        ("snapshot: {image: /srv/img, vllm_version: '0.11 beta'}", "snapshot.vllm_version", "must be a single word, not '0.11 beta'"),
        ("snapshot: {image: /srv/img}\n    kind: wake", "snapshot", "snapshot needs a restart variant with a command"),
        ("snapshot: {image: /srv/img}\n    template: true", "snapshot", "snapshot and template: true exclude each other"),
    ])
    func aBadSnapshotKeyNamesTheFileTheVariantAndTheKey(_ line: String, _ key: String, _ words: String) {
        let tmp = TempDir()
        let e = parseError("""
          - name: snap
            port: 8001
            command: [python3, -m, vllm.entrypoints.cli.main, serve, m]
            \(line)

        """, tmp: tmp)
        #expect(e?.file == tmp.path + "/plan.yaml", "\(String(describing: e))")
        #expect(e?.variant == "snap")
        #expect(e?.key == key)
        #expect(e?.description.contains(words) == true, "\(String(describing: e))")
        #expect(e?.description.hasPrefix("\(tmp.path)/plan.yaml: variants[0] (snap): ") == true, "\(String(describing: e))")
    }

    @Test func aComposeVariantCannotBeRestored() {
        let tmp = TempDir()
        let e = parseError("""
          - name: snap
            port: 8001
            compose: {service: vllm}
            snapshot: {image: /srv/img}

        """, tmp: tmp)
        #expect(e?.key == "snapshot")
        #expect(e?.description.contains("needs a restart variant with a command") == true, "\(String(describing: e))")
    }

    // MARK: - The preflight

    /// A snapshot check as `check --profile snapshot` reports one (its verdict given).
    struct SnapshotStandIn: Check {
        let id: String
        let status: CheckStatus
        var title: String { id }
        func run(_ context: RunbookFacts) throws -> CheckResult {
            status == .fail ? .fail("criu 3.15 at /usr/sbin/criu: 4.0 or later is needed", fix: "install CRIU 4.0 or later") : .pass("ok")
        }
    }

    @Test func aFailingSnapshotCheckStopsASnapshotPlanUnlessIgnored() throws {
        let tmp = TempDir()
        let context = RunbookFacts(options: .init(root: tmp.path))
        let snapshotPlan = try parse("  - {name: snap, port: 8001, command: [python3, x], snapshot: {image: /srv/img}}\n", tmp: tmp)
        let plainPlan = try parse("  - {name: plain, port: 8001, command: [python3, x]}\n", tmp: tmp)
        let checks: [any Check<RunbookFacts>] = [SnapshotStandIn(id: "runtime.compose", status: .pass), SnapshotStandIn(id: "snapshot.criu", status: .fail),
                                   SnapshotStandIn(id: "snapshot.io-uring", status: .pass)]
        guard case .snapshotBlocked(let failing) = try BenchPreflight.judge(context, plan: snapshotPlan, checks: checks, ignore: []) else {
            Issue.record("a failing snapshot.criu did not stop the snapshot plan"); return
        }
        #expect(failing.map(\.id) == ["snapshot.criu"])
        // --ignore covers it (by id or by area): the plan goes on.
        for ignore in [["snapshot.criu"], ["snapshot"]] {
            guard case .ready = try BenchPreflight.judge(context, plan: snapshotPlan, checks: checks, ignore: ignore) else {
                Issue.record("--ignore \(ignore) did not lift the snapshot gate"); return
            }
        }
        // A plan without a snapshot variant is judged as before (a plain failure).
        guard case .failed = try BenchPreflight.judge(context, plan: plainPlan, checks: checks, ignore: []) else {
            Issue.record("a plain plan was held by the snapshot gate"); return
        }
    }

    /// The command line: a CRIU that is not there fails `snapshot.criu`; bench names it, exits
    /// 1, and neither starts the fresh server nor makes an image.
    @Test func benchRefusesASnapshotPlanWhenTheSnapshotPreflightFails() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        let image = tmp.path + "/image"
        let port = freePort()
        let p = tmp.write("plan.yaml", """
        variants:
          - name: snap
            port: \(port)
            command: [python3, \(fakeServer), fake/model, --port, "\(port)", --ready-delay, "0.2", --append-to, \(tmp.path)/started]
            snapshot: {image: \(image)}

        """)
        let out = doctor(["bench", "--root", repo, "--plan", p, "--runs", "1", "--ignore", "storage,model,runtime"],
                         env: ["SLLM_CRIU": tmp.path + "/no-such-criu"], timeout: 120)
        #expect(out.status == 1, "\(out.stderr)")
        #expect(out.stderr.contains("snap: a snapshot restore needs what snapshot.criu"), "\(out.stderr)")
        #expect(!FileFacts.exists(image + "/snapshot-image.json"))
        #expect(!FileFacts.exists(tmp.path + "/started"), "the fresh server was started")
    }

    // MARK: - With CRIU

    static let token = "hf_snapshotFreshLogToken0123456789abcdef"

    func plan(_ tmp: TempDir, image: String, port: Int) -> String {
        tmp.write("plan.yaml", """
        variants:
          - name: snap
            port: \(port)
            command: [python3, \(fakeServer), fake/model, --port, "\(port)", --ready-delay, "0.2", --engine-child, --tokens, "16",
                      --echo, "token \(Self.token)"]
            cwd: \(FileFacts.parent(of: fakeServer))
            snapshot: {image: \(image), pythonpath: \(Self.package)}

        """)
    }

    func results(_ out: CommandOutput) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any], "\(out.stderr)")
    }

    func runs(_ obj: [String: Any]) -> [[String: Any]] {
        ((obj["variants"] as? [[String: Any]])?.first?["runs"] as? [[String: Any]]) ?? []
    }

    @Test(.enabled(if: criuMissing == nil || criuRequired, "\(criuMissing ?? "")"))
    func theImageIsMadeOnceAndEachRunRestoresIt() throws {
        if let why = Self.criuMissing { Issue.record("SLLM_REQUIRE_CRIU=1 but \(why)"); return }
        let tmp = TempDir()
        let repo = makeRunbook(tmp, token: Self.token)
        let image = tmp.path + "/image"
        let port = freePort()
        let p = plan(tmp, image: image, port: port)
        let args = ["bench", "--root", repo, "--plan", p, "--json", "--ignore", "storage,model,runtime,snapshot"]
        // Descriptors bench inherits and passes on (as from a parallel test, or a shell's
        // redirection): a file that grows after the dump, a deleted one, a pipe. The fresh
        // server must not take them into its image (CRIU refuses to restore a file whose size
        // changed).
        let leakedFile = open(tmp.path + "/leaked", O_RDWR | O_CREAT | O_APPEND, 0o600)
        let deletedFile = open(tmp.path + "/deleted", O_RDWR | O_CREAT, 0o600)
        unlink(tmp.path + "/deleted")
        var leakedPipe: [Int32] = [0, 0]
        _ = pipe(&leakedPipe)
        defer { close(leakedFile); close(deletedFile); close(leakedPipe[0]); close(leakedPipe[1]) }

        // First bench: the image is made once (fresh start and create timed apart), then two restores.
        let first = doctor(args + ["--runs", "2"], timeout: 300)
        #expect(first.status == 0, "\(first.stderr)")
        let obj = try results(first)
        let snaps = obj["snapshots"] as? [[String: Any]] ?? []
        #expect(snaps.count == 1, "\(obj)")
        let made = try #require(snaps.first)
        #expect(made["made"] as? Bool == true && made["variant"] as? String == "snap" && made["image"] as? String == image)
        let bytes = try #require(made["image_bytes"] as? Int)
        #expect(bytes > 0)
        #expect((made["fresh_start_s"] as? Double ?? 0) > 0 && (made["create_s"] as? Double ?? 0) > 0, "\(made)")
        #expect(made["dump_s"] as? Double != nil && made["checkpoint_s"] != nil, "\(made)")
        // The fresh server wrote its own log (CRIU needs a file): masked once it ended.
        let freshLog = try String(contentsOfFile: made["fresh_log"] as? String ?? "", encoding: .utf8)
        #expect(freshLog.contains("token \(Redactor.mask)") && !freshLog.contains(Self.token), "\(freshLog)")
        let r = runs(obj)
        #expect(r.count == 2 && r.allSatisfy { $0["outcome"] as? String == "ok" }, "\(r)")
        for run in r {
            let s = try #require(run["snapshot"] as? [String: Any], "\(run)")
            #expect(s["image"] as? String == image && s["image_bytes"] as? Int == bytes)
            #expect(s["criu_restore_s"] as? Double != nil && s["cuda_restore_s"] != nil && s["check_s"] != nil, "\(s)")
            #expect(run["ready_ms"] as? Double != nil && run["completion_tokens"] as? Int == 16, "\(run)")
        }
        #expect(first.stderr.contains("snap: snapshot image made once"), "\(first.stderr)")

        // Second bench: the image is there, so it is restored, not made again.
        _ = write(leakedFile, "grown after the dump\n", 21)
        let second = doctor(args + ["--runs", "1"], timeout: 300)
        #expect(second.status == 0, "\(second.stderr)")
        let again = try results(second)
        #expect((again["snapshots"] as? [[String: Any]])?.first?["made"] as? Bool == false, "\(again)")
        #expect(!second.stderr.contains("making the image"), "\(second.stderr)")
        #expect(runs(again).first?["outcome"] as? String == "ok", "\(runs(again))")

        // A restore whose greedy answer differs from the fresh server's: that run is not ok, and says why.
        let metaPath = image + "/snapshot-image.json"
        var meta = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: metaPath))) as? [String: Any])
        var reference = try #require(meta["reference"] as? [String: Any])
        reference["text"] = "not what the server says"
        meta["reference"] = reference
        try JSONSerialization.data(withJSONObject: meta).write(to: URL(fileURLWithPath: metaPath))
        let differs = doctor(args + ["--runs", "1"], timeout: 300)
        #expect(differs.status == 1, "\(differs.stderr)")
        let bad = try #require(runs(try results(differs)).first)
        #expect(bad["outcome"] as? String != "ok", "\(bad)")
        #expect(bad["cause"] as? String == BenchRunner.snapshotDiffersCause, "\(bad)")
        #expect((bad["diagnosis"] as? String ?? "").contains("differs from the fresh server's"), "\(bad)")

        // Nothing left running: no process of the image, nothing on the port.
        let pids = (meta["pids"] as? [Int] ?? []).map { Int32($0) }
        #expect(!pids.isEmpty)
        for pid in pids { #expect(processGone(pid, timeout: 10), "pid \(pid) of the image outlived bench") }
        #expect(!HTTPClient.isListening(host: "127.0.0.1", port: port, timeout: 0.2))
    }
}
