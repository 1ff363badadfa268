import Foundation
import Testing
import TestSupport
@testable import Fleet
@testable import DoctorCore
import SystemProbes
@testable import Runbook
import Basics

/// `fleet report` reads what `check --json` writes: the documents here come from the real
/// renderer, so a change to its layout shows up as a failure here.
@Suite("fleet report")
struct FleetReportTests {
    static func report(host: String, _ statuses: [(String, CheckStatus)], version: String? = nil) -> String {
        let reports = statuses.map { id, status in
            CheckReport(id: id, title: id, area: CheckArea(rawValue: String(id.split(separator: ".")[0])) ?? .env,
                        result: CheckResult(status, "\(id) is \(status.rawValue) on \(host)", fix: status == .fail ? "repair \(id)" : nil))
        }
        let text = JSONRenderer(redact: Redactor(secrets: []), host: host, profile: "prebaked").render(reports)
        return version.map { text.replacingOccurrences(of: "\"version\" : \"\(Tool.version)\"", with: "\"version\" : \"\($0)\"") } ?? text
    }

    static let healthy: [(String, CheckStatus)] = [("env.file", .pass), ("env.values", .pass), ("storage.mount", .pass), ("storage.folders", .pass),
                                                   ("model.hf-cache", .pass), ("offline.common-env", .pass), ("gpu.nvidia-smi", .skip)]
    static func with(_ id: String, _ s: CheckStatus) -> [(String, CheckStatus)] { healthy.map { $0.0 == id ? ($0.0, s) : $0 } }

    func load(_ paths: [String]) throws -> FleetReport { try FleetReport.load(paths) }
    func error(_ paths: [String]) -> String {
        do { _ = try FleetReport.load(paths); return "no error" } catch let e as FleetInputError { return e.description } catch { return "other: \(error)" }
    }
    /// The one line a report that cannot be read leaves: that node fails with it (issue 29:
    /// each node is judged alone), where it once stopped the whole command.
    func unreadable(_ paths: [String]) -> String {
        do { return try FleetReport.load(paths).nodes.compactMap(\.problem).joined(separator: "\n") } catch { return "error: \(error)" }
    }

    @Test func matrixWithFailingNodesFirst() throws {
        let tmp = TempDir("fleet")
        tmp.write("r/a.json", Self.report(host: "ip-10-0-1-5", Self.healthy))
        tmp.write("r/b.json", Self.report(host: "ip-10-0-3-14", Self.with("model.hf-cache", .fail)))
        tmp.write("r/c.json", Self.report(host: "ip-10-0-2-77", Self.with("offline.common-env", .warn)))
        let fleet = try load([tmp.path + "/r"])
        #expect(fleet.nodes.map(\.host) == ["ip-10-0-3-14", "ip-10-0-2-77", "ip-10-0-1-5"])
        #expect(fleet.anyFailing)
        let text = FleetRenderer().text(fleet)
        #expect(text == """
        3 nodes: 1 failing, 1 with warnings, 1 passing (sllm-doctor \(Tool.version), profile prebaked)

            node          env  storage  model  offline  gpu
        [✗] ip-10-0-3-14  ✓✓   ✓✓       ✗      ✓        –
        [!] ip-10-0-2-77  ✓✓   ✓✓       ✓      !        –
        [✓] ip-10-0-1-5   ✓✓   ✓✓       ✓      ✓        –

        columns: env = file values; storage = mount folders; model = hf-cache; offline = common-env; gpu = nvidia-smi

        Failing
          ip-10-0-3-14 (\(tmp.path)/r/b.json)
            [✗] model.hf-cache: model.hf-cache is fail on ip-10-0-3-14
                fix: repair model.hf-cache

        """)
        let json = try JSONLite.parse(Array(FleetRenderer().json(fleet).utf8))
        #expect(json["counts"]?["fail"]?.double == 1 && json["counts"]?["nodes"]?.double == 3)
        guard case .array(let nodes)? = json["nodes"] else { Issue.record("no nodes"); return }
        #expect(nodes.first?["node"]?.string == "ip-10-0-3-14")
        #expect(nodes.first?["checks"]?["model.hf-cache"]?.string == "fail")
        let healthyOnly = try load([tmp.path + "/r/a.json", tmp.path + "/r/c.json"])
        #expect(!healthyOnly.anyFailing)
    }

    @Test func kubectlLogsWithPrefixes() throws {
        let tmp = TempDir("logs")
        func prefixed(_ pod: String, _ text: String) -> [String] {
            text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }.map { "[pod/\(pod)/doctor] \($0)" }
        }
        let a1 = prefixed("sllm-doctor-4xk2p", Self.report(host: "ip-10-0-1-5", Self.with("storage.mount", .fail)))
        let a2 = prefixed("sllm-doctor-4xk2p", Self.report(host: "ip-10-0-1-5", Self.healthy))   // the next round: repaired
        let b = prefixed("sllm-doctor-9fj3w", Self.report(host: "ip-10-0-2-77", Self.with("storage.mount", .fail)))
        // Two pods' lines interleave as kubectl streams them; a stderr line between rounds.
        var lines: [String] = []
        for i in 0..<max(a1.count, b.count) {
            if i < a1.count { lines.append(a1[i]) }
            if i < b.count { lines.append(b[i]) }
        }
        lines.append("[pod/sllm-doctor-4xk2p/doctor] sllm-doctor: error: something transient")
        lines += a2
        let log = tmp.write("doctor.log", lines.joined(separator: "\n") + "\n")
        let fleet = try load([log])
        #expect(fleet.nodes.map(\.host) == ["ip-10-0-2-77", "ip-10-0-1-5"])
        #expect(fleet.nodes.map(\.status) == [.fail, .pass])
        #expect(fleet.nodes[0].source == "\(log) (pod sllm-doctor-9fj3w)")

        // kubectl logs -l shows 10 lines per pod unless told --tail=-1.
        let cut = tmp.write("tail.log", (Array(a1.suffix(10)) + Array(b.suffix(10))).joined(separator: "\n"))
        #expect(unreadable([cut]) == "\(cut): pod sllm-doctor-4xk2p: no whole report in its lines (with -l, kubectl logs shows each pod's last 10 lines only: add --tail=-1)")
        let mixed = tmp.write("mixed.log", a1[0] + "\nplain line\n")
        #expect(unreadable([mixed]) == "\(mixed): line 2: expected kubectl's prefix [pod/NAME/CONTAINER] (kubectl logs --prefix)")
    }

    @Test func reportsFromDifferentVersionsAreRefused() {
        let tmp = TempDir("versions")
        let a = tmp.write("a.json", Self.report(host: "n1", Self.healthy))
        let b = tmp.write("b.json", Self.report(host: "n2", Self.healthy, version: "0.2.0"))
        #expect(error([a, b]) == "\(b): report from sllm-doctor 0.2.0, but \(a) is from \(Tool.version): compare reports of one version (roll the DaemonSet to one image, then collect again)")
    }

    @Test func otherBadInput() throws {
        let tmp = TempDir("bad")
        let dup = tmp.write("dup.json", Self.report(host: "n1", Self.healthy))
        let dup2 = tmp.write("dup2.json", Self.report(host: "n1", Self.healthy))
        #expect(error([dup, dup2]) == "\(dup2): node n1 is reported twice (also in \(dup)): give one report per node")
        let noHost = tmp.write("nohost.json", JSONRenderer(redact: Redactor(secrets: [])).render([]))
        #expect(unreadable([noHost]) == "\(noHost): no host: expected the node's name, which check --json writes (from NODE_NAME, else the hostname); this report comes from an older sllm-doctor")
        let pods = fixture("fleet/pods.json")
        #expect(unreadable([pods]) == "\(pods): a Kubernetes object (kind List), not a check report: expected the output of sllm-doctor check --json")
        let text = tmp.write("human.txt", "[✗] Storage (NVMe)\n")
        #expect(unreadable([text]) == "\(text): invalid JSON at byte 1: expected a value (line 1): expected a check --json report or kubectl logs --prefix output")
        let badStatus = tmp.write("status.json", Self.report(host: "n9", Self.healthy).replacingOccurrences(of: "\"status\" : \"skip\"", with: "\"status\" : \"maybe\""))
        #expect(unreadable([badStatus]) == "\(badStatus): checks[6] (gpu.nvidia-smi): status 'maybe', expected pass, warn, fail or skip")
        _ = tmp.mkdir("empty")
        #expect(error([tmp.path + "/empty"]) == "\(tmp.path)/empty: an empty folder: expected check --json reports")
        #expect(error([tmp.path + "/nope"]) == "\(tmp.path)/nope: no such file or folder")
        let big = tmp.bytes("big.json", count: 17 << 20)
        #expect(unreadable([big]) == "\(big): 17 MiB is more than the 16 MiB this reads: expected check --json reports")
    }
}
