import Foundation
import Testing
import TestSupport
@testable import DoctorCore
@testable import SystemProbes
@testable import Runbook
@testable import Basics

/// `check --json`'s node name and the `fleet` commands, driven through the built binary.
@Suite("fleet on the command line")
struct FleetCLITests {
    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func checkJSONNamesItsNode() throws {
        let tmp = TempDir()
        let fromPod = doctor(["check", "--json", "--only", "env", "--root", tmp.path], env: ["NODE_NAME": "ip-10-0-3-14.ec2.internal"])
        #expect(try json(fromPod.stdout)["host"] as? String == "ip-10-0-3-14.ec2.internal")
        #expect(try json(fromPod.stdout)["profile"] as? String == "standard")
        let (_, hostname) = sh("hostname")
        let plain = doctor(["check", "--json", "--only", "env", "--root", tmp.path], env: ["NODE_NAME": ""])
        #expect(try json(plain.stdout)["host"] as? String == hostname.trimmingCharacters(in: .whitespacesAndNewlines))
        // The text report is unchanged by it.
        #expect(!doctor(["check", "--only", "env", "--root", tmp.path], env: ["NODE_NAME": "node-x"]).stdout.contains("node-x"))
    }

    /// Reports written by `check --profile prebaked --json` on three "nodes" (captured mount
    /// tables), read back by `fleet report` as files and as `kubectl logs --prefix` output.
    @Test func reportFromRealCheckRuns() throws {
        let tmp = TempDir("fleet")
        let volume = tmp.mkdir("vol")
        makeHFCache(hub: volume + "/hf-cache/hub", repo: "mistralai/Mistral-7B-Instruct-v0.3")
        let env = ["MODEL_NAME": "mistralai/Mistral-7B-Instruct-v0.3", "MODEL_VOLUME": volume, "HF_HOME": volume + "/hf-cache", "HF_HUB_OFFLINE": "1"]
        // A node whose table has the volume as a disk of its own at MODEL_VOLUME.
        let good = tmp.write("mi-good", "28 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw\n40 28 259:3 / \(volume) ro,relatime shared:20 - ext4 /dev/nvme1n1 rw\n")
        let bad = tmp.write("mi-bad", "28 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw\n")
        var reports: [String] = []
        for (node, table) in [("ip-10-0-1-5", good), ("ip-10-0-3-14", bad), ("ip-10-0-2-77", good)] {
            let r = doctor(["check", "--profile", "prebaked", "--json", "--mountinfo", table, "--root", tmp.path], env: env.merging(["NODE_NAME": node]) { $1 })
            #expect(r.status == (table == bad ? 1 : 0), "\(node): \(r.stdout)")
            reports.append(tmp.write("reports/\(node).json", r.stdout + "\n"))
        }
        let fleet = doctor(["fleet", "report", tmp.path + "/reports"])
        #expect(fleet.status == 1, "\(fleet.stderr)")
        let lines = fleet.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "3 nodes: 1 failing, 0 with warnings, 2 passing (sllm-doctor \(Tool.version), profile prebaked)")
        #expect(lines.filter { $0.hasPrefix("[") }.map { String($0.prefix(16)) } == ["[✗] ip-10-0-3-14", "[✓] ip-10-0-1-5 ", "[✓] ip-10-0-2-77"])
        #expect(fleet.stdout.contains("    [✗] storage.mount: MODEL_VOLUME \(volume) is on the OS disk (/dev/nvme0n1p1 on /): the pre-baked volume is not mounted"))

        let logs = reports.enumerated().flatMap { i, file in
            (try! String(contentsOfFile: file, encoding: .utf8)).split(separator: "\n").map { "[pod/sllm-doctor-\(i)abcd/doctor] \($0)" }
        }
        let logFile = tmp.write("doctor.log", logs.joined(separator: "\n") + "\n")
        let fromLogs = doctor(["fleet", "report", "--json", logFile])
        #expect(fromLogs.status == 1)
        let doc = try json(fromLogs.stdout)
        #expect((doc["nodes"] as? [[String: Any]])?.map { $0["node"] as? String } == ["ip-10-0-3-14", "ip-10-0-1-5", "ip-10-0-2-77"])

        let healthy = doctor(["fleet", "report", reports[0], reports[2]])
        #expect(healthy.status == 0, "\(healthy.stdout)")

        let other = tmp.write("other.json", (try String(contentsOfFile: reports[0], encoding: .utf8))
            .replacingOccurrences(of: "\"version\" : \"\(Tool.version)\"", with: "\"version\" : \"9.9.9\"").replacingOccurrences(of: "ip-10-0-1-5", with: "ip-10-0-9-9"))
        let mixed = doctor(["fleet", "report", reports[0], other])
        #expect(mixed.status == 2)
        #expect(mixed.stderr.split(separator: "\n").count == 1)
        #expect(mixed.stderr.hasPrefix("sllm-doctor: error: \(other): report from sllm-doctor 9.9.9"))
    }

    /// A node whose DaemonSet pod has no `/run/udev/data` (check exits 2 there) is one failing
    /// node in `fleet report`, named with check's own error line; the other nodes are judged.
    @Test func aNodeWhoseCheckStoppedFailsAlone() throws {
        let tmp = TempDir("fleet-exit2")
        let volume = tmp.mkdir("vol")
        makeHFCache(hub: volume + "/hf-cache/hub", repo: "mistralai/Mistral-7B-Instruct-v0.3")
        let env = ["MODEL_NAME": "mistralai/Mistral-7B-Instruct-v0.3", "MODEL_VOLUME": volume, "HF_HOME": volume + "/hf-cache", "HF_HUB_OFFLINE": "1"]
        let table = tmp.write("mi", "28 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw\n40 28 259:3 / \(volume) ro,relatime shared:20 - ext4 /dev/nvme1n1 rw\n")
        let args = ["check", "--profile", "prebaked", "--json", "--mountinfo", table, "--root", tmp.path]
        let ok = doctor(args, env: env.merging(["NODE_NAME": "ip-10-0-1-5"]) { $1 })
        #expect(ok.status == 0, "\(ok.stdout)")
        let stopped = doctor(args + ["--udev-data", tmp.path + "/no-udev"], env: env.merging(["NODE_NAME": "ip-10-0-3-14"]) { $1 })
        #expect(stopped.status == 2 && stopped.stdout.isEmpty)
        let line = stopped.stderr.trimmingCharacters(in: .newlines)
        #expect(line.hasPrefix("sllm-doctor: error: --udev-data \(tmp.path)/no-udev"))
        // As kubectl logs --prefix shows both pods (stderr and stdout together).
        let logs = (ok.stdout.split(separator: "\n").map { "[pod/sllm-doctor-4xk2p/doctor] \($0)" } + ["[pod/sllm-doctor-9fj3w/doctor] \(line)"])
        let logFile = tmp.write("doctor.log", logs.joined(separator: "\n") + "\n")
        let fleet = doctor(["fleet", "report", logFile])
        #expect(fleet.status == 1, "\(fleet.stderr)")
        #expect(fleet.stderr.isEmpty)
        #expect(fleet.stdout.hasSuffix("  pod/sllm-doctor-9fj3w (\(logFile) (pod sllm-doctor-9fj3w))\n    [✗] \(line)"))
        let rows = fleet.stdout.split(separator: "\n").filter { $0.hasPrefix("[") }.map { String($0.prefix(26)) }
        #expect(rows.count == 2 && rows[0].hasPrefix("[✗] pod/sllm-doctor-9fj3w") && rows[1].hasPrefix("[✓] ip-10-0-1-5"), "\(rows)")
        // Saved one file per node, the error in place of the report.
        tmp.write("reports/ip-10-0-1-5.json", ok.stdout)
        tmp.write("reports/ip-10-0-3-14.json", stopped.stderr)
        let files = doctor(["fleet", "report", "--json", tmp.path + "/reports"])
        #expect(files.status == 1, "\(files.stderr)")
        let nodes = try #require(try json(files.stdout)["nodes"] as? [[String: Any]])
        #expect(nodes.first?["node"] as? String == "ip-10-0-3-14")
        #expect(nodes.first?["problem"] as? String == line)
        #expect(nodes.first?["status"] as? String == "fail")
    }

    /// A report with one bad field (an escape code in a status) stopped the whole command with
    /// exit 2 and the good node beside it was never judged. Each node is judged alone: that
    /// file is one failing node named with its own error line, the other is judged, exit 1.
    @Test func anUnreadableReportFailsItsNodeAlone() throws {
        let tmp = TempDir("fleet-unreadable")
        let good = doctor(["check", "--json", "--only", "env", "--root", tmp.path], env: ["NODE_NAME": "ip-10-0-1-5"])
        let goodFile = tmp.write("reports/good.json", good.stdout)
        let other = doctor(["check", "--json", "--only", "env", "--root", tmp.path], env: ["NODE_NAME": "ip-10-0-3-14"])
        let marker = "\"status\" : \""
        let start = try #require(other.stdout.range(of: marker))
        let end = try #require(other.stdout[start.upperBound...].firstIndex(of: "\""))
        let firstID = try #require((try json(other.stdout)["checks"] as? [[String: Any]])?.first?["id"] as? String)
        let badFile = tmp.write("reports/bad.json", other.stdout.replacingCharacters(in: start.upperBound..<end, with: "\\u001b[2Jpass"))
        let fleet = doctor(["fleet", "report", goodFile, badFile])
        #expect(fleet.status == 1, "\(fleet.stderr)")
        #expect(fleet.stderr.isEmpty, "\(fleet.stderr)")
        #expect(fleet.stdout.contains("    [✗] \(badFile): checks[0] (\(firstID)): status '^[[2Jpass', expected pass, warn, fail or skip"), "\(fleet.stdout)")
        #expect(!fleet.stdout.contains("\u{1B}"))
        let rows = fleet.stdout.split(separator: "\n").filter { $0.hasPrefix("[") }.map { String($0.prefix(16)) }
        #expect(rows.count == 2 && rows[0].hasPrefix("[✗] bad") && rows[1].contains("ip-10-0-1-5"), "\(rows)")
        // The same in a folder, and in --json: the node, its line, failing.
        let asJSON = doctor(["fleet", "report", "--json", tmp.path + "/reports"])
        #expect(asJSON.status == 1, "\(asJSON.stderr)")
        let nodes = try #require(try json(asJSON.stdout)["nodes"] as? [[String: Any]])
        #expect(nodes.map { $0["node"] as? String } == ["bad", "ip-10-0-1-5"])
        #expect(nodes.first?["problem"] as? String == "\(badFile): checks[0] (\(firstID)): status '\u{1B}[2Jpass', expected pass, warn, fail or skip")
        // Usage errors stay exit 2: no inputs, a folder that is refused whole.
        #expect(doctor(["fleet", "report"]).status == 2)
        tmp.mkdir("reports/sub")
        #expect(doctor(["fleet", "report", tmp.path + "/reports"]).status == 2)
    }

    /// The DaemonSet's command line, as written in deploy/k8s, is one the binary accepts: run
    /// with the node's files swapped for captured ones, it prints a report naming the node.
    @Test func theDaemonSetsCommandLineRuns() throws {
        let manifest = try String(contentsOfFile: FileFacts.parent(of: fixturesDir) + "/../deploy/k8s/daemonset.yaml", encoding: .utf8)
        let line = try #require(manifest.split(separator: "\n").first { $0.contains("sllm-doctor check ") })
        let tmp = TempDir("node")
        let swaps = ["/host/proc/1/mountinfo": fixture("mountinfo-aws-models.txt"), "/host/sys/block": tmp.mkdir("sys/block"),
                     "/host/run/udev/data": tmp.mkdir("run/udev/data")]
        let args = line.split(separator: " ").map(String.init).drop { $0 != "sllm-doctor" }.dropFirst().map { swaps[$0] ?? $0 }
        #expect(args.starts(with: ["check", "--profile", "prebaked", "--json"]), "\(args)")
        let r = doctor(Array(args) + ["--root", tmp.path], env: ["NODE_NAME": "ip-10-0-1-5.ec2.internal", "MODEL_NAME": "mistralai/Mistral-7B-Instruct-v0.3",
                                                          "HF_HOME": "/mnt/models/hf-cache"])
        #expect(r.status == 0 || r.status == 1, "\(r.stderr)")
        let doc = try json(r.stdout)
        #expect(doc["host"] as? String == "ip-10-0-1-5.ec2.internal")
        #expect(doc["profile"] as? String == "prebaked")
        let mount = (doc["checks"] as? [[String: Any]])?.first { $0["id"] as? String == "storage.mount" }
        #expect(mount?["status"] as? String == "pass")
    }

    /// docs/fleet.md shows the timeline of the fixtures as the tool prints it, byte for byte.
    @Test func theTimelineInTheDocsIsTheToolsOwnOutput() throws {
        let page = try String(contentsOfFile: FileFacts.parent(of: fixturesDir) + "/../docs/fleet.md", encoding: .utf8)
        let intro = try #require(page.range(of: "What it printed for the scale-up in `Tests/Fixtures/fleet/`"))
        let open = try #require(page.range(of: "```\n", range: intro.upperBound..<page.endIndex))
        let close = try #require(page.range(of: "\n```", range: open.upperBound..<page.endIndex))
        let tmp = TempDir("cwd")
        let r = doctor(["fleet", "timeline", "--pods", fixture("fleet/pods.json"), "--events", fixture("fleet/events.json")], cwd: tmp.path)
        #expect(r.stdout.trimmingCharacters(in: .newlines) == String(page[open.upperBound..<close.lowerBound]))
        #expect(FileFacts.isFile(tmp.path + "/scale-up-timeline.svg"))
    }

    @Test func timelineExitStatusAndChart() throws {
        let tmp = TempDir("tl")
        let svg = tmp.path + "/scale-up.svg"
        let r = doctor(["fleet", "timeline", "--pods", fixture("fleet/pods.json"), "--events", fixture("fleet/events.json"), "--svg", svg])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stdout.contains("Slowest phase: image pull, 10m03s on vllm-7c9d8b6f5-k4v9t"))
        #expect(r.stdout.hasSuffix("Timeline chart: \(svg)"))
        #expect(FileFacts.isFile(svg))
        let ok = doctor(["fleet", "timeline", "--json", "--pods", fixture("fleet/pods-ready.json"), "--events", fixture("fleet/events-ready.json"), "--svg", svg])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(try json(ok.stdout)["all_ready_after_s"] as? Double == 760)

        let swapped = doctor(["fleet", "timeline", "--pods", fixture("fleet/events.json"), "--events", fixture("fleet/pods.json"), "--svg", svg])
        #expect(swapped.status == 2)
        #expect(swapped.stderr == "sllm-doctor: error: \(fixture("fleet/events.json")): holds Events, expected Pods for --pods (kubectl get pods -o json): are --pods and --events swapped?")
        let unwritable = doctor(["fleet", "timeline", "--pods", fixture("fleet/pods.json"), "--events", fixture("fleet/events.json"), "--svg", "/no/such/dir/x.svg"])
        #expect(unwritable.status == 2 && unwritable.stderr.hasPrefix("sllm-doctor: error: --svg /no/such/dir/x.svg: cannot write"))
    }
}
