import Foundation
import Testing
import TestSupport
@testable import Fleet
@testable import DoctorCore
import SystemProbes
@testable import Runbook
import Basics

/// Round 3 of hostile input for `fleet`: each node judged alone, a folder read whole or refused
/// whole, linear time on worst-case sizes, and one clear line for text that is not JSON.
@Suite("fleet: round 3")
struct FleetRound3Tests {
    static let udevError = "sllm-doctor: error: --udev-data /host/run/udev/data: no such folder"

    func prefixed(_ pod: String, _ text: String) -> [String] {
        text.split(separator: "\n").map { "[pod/\(pod)/doctor] \($0)" }
    }

    func error(_ paths: [String]) -> String {
        do { _ = try FleetReport.load(paths); return "no error" } catch let e as FleetInputError { return e.description } catch { return "other: \(error)" }
    }
    /// The one line a report that cannot be read leaves: that node fails with it (issue 29:
    /// each node is judged alone), where it once stopped the whole command.
    func unreadable(_ paths: [String]) -> String {
        do { return try FleetReport.load(paths).nodes.compactMap(\.problem).joined(separator: "\n") } catch { return "error: \(error)" }
    }

    /// A DaemonSet pod whose check stopped with exit 2 is one failing node, named with its own
    /// line; the pods beside it are judged as usual.
    @Test func aPodWhoseCheckStoppedIsOneFailingNode() throws {
        let tmp = TempDir("r3-logs")
        var lines = prefixed("sllm-doctor-4xk2p", FleetReportTests.report(host: "ip-10-0-1-5", FleetReportTests.healthy))
        lines.append("[pod/sllm-doctor-9fj3w/doctor] \(Self.udevError)")
        lines += prefixed("sllm-doctor-7hq2m", FleetReportTests.report(host: "ip-10-0-2-77", FleetReportTests.with("storage.mount", .fail)))
        // A pod whose report came, then whose next round stopped: the latest word counts.
        lines += prefixed("sllm-doctor-2bb8c", FleetReportTests.report(host: "ip-10-0-4-9", FleetReportTests.healthy))
        lines.append("[pod/sllm-doctor-2bb8c/doctor] sllm-doctor: error: --mountinfo /host/proc/1/mountinfo: permission denied for uid 1000")
        let log = tmp.write("doctor.log", lines.joined(separator: "\n") + "\n")
        let fleet = try FleetReport.load([log])
        #expect(fleet.nodes.map(\.host) == ["ip-10-0-2-77", "pod/sllm-doctor-2bb8c", "pod/sllm-doctor-9fj3w", "ip-10-0-1-5"])
        #expect(fleet.nodes.map(\.status) == [.fail, .fail, .fail, .pass])
        #expect(fleet.nodes[2].problem == Self.udevError)
        #expect(fleet.nodes[2].source == "\(log) (pod sllm-doctor-9fj3w)")
        let text = FleetRenderer().text(fleet)
        #expect(text.hasPrefix("4 nodes: 3 failing, 0 with warnings, 1 passing (sllm-doctor \(Tool.version), profile prebaked)\n"))
        #expect(text.contains("\n  pod/sllm-doctor-9fj3w (\(log) (pod sllm-doctor-9fj3w))\n    [✗] \(Self.udevError)\n"))
        #expect(text.contains("[✓] ip-10-0-1-5 "))
        let json = try JSONLite.parse(Array(FleetRenderer().json(fleet).utf8))
        guard case .array(let nodes)? = json["nodes"] else { Issue.record("no nodes"); return }
        #expect(nodes[2]["problem"]?.string == Self.udevError)
        #expect(nodes[3]["problem"] == .null)
    }

    /// A pod with neither a report nor an error line among whole ones is a failing node too;
    /// only when no pod has either is the capture itself refused (kubectl's --tail).
    @Test func aPodWithoutAReportAmongWholeOnes() throws {
        let tmp = TempDir("r3-none")
        var lines = prefixed("a", FleetReportTests.report(host: "n1", FleetReportTests.healthy))
        lines += ["[pod/b/doctor] starting", "[pod/b/doctor]   \"checks\" : ["]
        let log = tmp.write("doctor.log", lines.joined(separator: "\n") + "\n")
        let fleet = try FleetReport.load([log])
        #expect(fleet.nodes.map(\.host) == ["pod/b", "n1"])
        #expect(fleet.nodes[0].problem == "no whole report and no error line in its 2 logged lines: its check is still running or stopped without one (kubectl logs -n sllm-doctor pod/b)")
        let cut = tmp.write("cut.log", lines.suffix(2).joined(separator: "\n"))
        #expect(unreadable([cut]) == "\(cut): pod b: no whole report in its lines (with -l, kubectl logs shows each pod's last 10 lines only: add --tail=-1)")
    }

    /// Reports saved one per file (`check --json > node.json 2>&1`): the one holding check's
    /// error line is that node, failing; a report that judged nothing is not a pass.
    @Test func filesHoldingAnErrorOrNoChecks() throws {
        let tmp = TempDir("r3-files")
        tmp.write("r/ip-10-0-1-5.json", FleetReportTests.report(host: "ip-10-0-1-5", FleetReportTests.healthy))
        tmp.write("r/ip-10-0-3-14.json", "\n\(Self.udevError)\n")
        tmp.write("r/ip-10-0-6-1.json", FleetReportTests.report(host: "ip-10-0-6-1", []))
        tmp.write("r/ip-10-0-7-2.json", FleetReportTests.report(host: "ip-10-0-7-2", [("gpu.nvidia-smi", .skip), ("storage.mount", .skip)]))
        let fleet = try FleetReport.load([tmp.path + "/r"])
        #expect(fleet.nodes.map(\.host) == ["ip-10-0-1-5", "ip-10-0-3-14", "ip-10-0-6-1", "ip-10-0-7-2"].sorted().filter { $0 != "ip-10-0-1-5" } + ["ip-10-0-1-5"])
        #expect(fleet.nodes.map(\.status) == [.fail, .fail, .fail, .pass])
        #expect(fleet.nodes[0].problem == Self.udevError)
        #expect(fleet.nodes[1].problem == "its report holds no checks: nothing was judged on this node")
        #expect(fleet.nodes[2].problem == "all 2 of its checks were skipped: nothing was judged on this node")
        #expect(fleet.anyFailing)
        let text = FleetRenderer().text(fleet)
        #expect(text.contains("  ip-10-0-6-1 (\(tmp.path)/r/ip-10-0-6-1.json)\n    [✗] its report holds no checks: nothing was judged on this node\n"))
        // Alone, a report with no checks still fails.
        #expect(try FleetReport.load([tmp.path + "/r/ip-10-0-6-1.json"]).anyFailing)
    }

    /// A folder of reports is read whole or refused whole: each entry that is not a regular
    /// file (or a link to one) refuses it, named with what it is.
    @Test func aFolderIsReadWholeOrRefusedWhole() throws {
        let tmp = TempDir("r3-folder")
        let dir = tmp.mkdir("r")
        let good = tmp.write("r/a.json", FleetReportTests.report(host: "n1", FleetReportTests.healthy))
        let elsewhere = tmp.write("b.json", FleetReportTests.report(host: "n2", FleetReportTests.healthy))
        #expect(symlink(elsewhere, dir + "/b.json") == 0)
        #expect(try FleetReport.load([dir]).nodes.map(\.host) == ["n1", "n2"])
        let tail = "in a folder of reports: expected only check --json reports (regular files) there; move it out, or name the report files"

        let sub = tmp.mkdir("r/old")
        #expect(error([dir]) == "\(sub): a folder, \(tail)")
        rmdir(sub)
        #expect(symlink(dir + "/gone.json", dir + "/c.json") == 0)
        #expect(error([dir]) == "\(dir)/c.json: a symbolic link to \(dir)/gone.json, which does not exist, \(tail)")
        unlink(dir + "/c.json")
        #expect(mkfifo(dir + "/d.json", 0o644) == 0)
        #expect(error([dir]) == "\(dir)/d.json: a FIFO (named pipe), \(tail)")
        unlink(dir + "/d.json")

        let socketPath = dir + "/e.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in socketPath.utf8.enumerated() { raw[i] = b } }
        #expect(withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } } == 0)
        #expect(error([dir]) == "\(socketPath): a socket, \(tail)")
        #expect(error([socketPath]) == "\(socketPath): a socket: expected a check --json report or kubectl logs --prefix output")
        _ = good
    }

    /// 20,000 check ids, each its own area: the matrix and its column legend come out whole.
    /// Grouping by area and looking up each mark were linear scans per id (quadratic).
    @Test func manyCheckIDsAreLinear() throws {
        let tmp = TempDir("r3-ids")
        let n = 20_000
        let statuses: [(String, CheckStatus)] = (0..<n).map { ("a\($0).c", $0 == n - 1 ? .fail : .pass) }
        // Written directly (the JSON renderer wants known areas): the report as check --json lays it out.
        let checks = statuses.map { "    { \"id\" : \"\($0.0)\", \"status\" : \"\($0.1.rawValue)\", \"summary\" : \"s\" }" }.joined(separator: ",\n")
        let doc = "{\n  \"tool\" : \"\(Tool.name)\", \"version\" : \"\(Tool.version)\", \"host\" : \"n1\",\n  \"checks\" : [\n\(checks)\n  ]\n}\n"
        let fleet = try FleetReport.load([tmp.write("big.json", doc)])
        #expect(fleet.checkIDs.count == n)
        let text = FleetRenderer().text(fleet)
        let row = try #require(text.split(separator: "\n").first { $0.hasPrefix("[✗] n1") })
        #expect(row.filter { $0 == "✓" }.count == n - 1 && row.hasSuffix("✗"))
        #expect(text.contains("columns: a0 = c; a1 = c; "))
        #expect(text.contains("    [✗] a\(n - 1).c: s\n"))
    }

    /// 20,000 copies of one pod and 20,000 of its events: every copy scanned and sorted every
    /// event (quadratic, hours); a name listed twice is now refused at once, the second copy named.
    @Test func aPodListedManyTimesIsRefusedAtOnce() throws {
        let n = 20_000
        let pod: JSONValue = .object(["metadata": .object(["name": .string("vllm-0"), "namespace": .string("ml"),
                                                           "creationTimestamp": .string("2026-11-20T14:00:00Z")])])
        let event: JSONValue = .object(["involvedObject": .object(["kind": .string("Pod"), "name": .string("vllm-0"), "namespace": .string("ml")]),
                                        "reason": .string("Scheduled"), "message": .string("assigned ml/vllm-0 to n1"),
                                        "firstTimestamp": .string("2026-11-20T14:00:01Z")])
        let pods: JSONValue = .object(["kind": .string("List"), "items": .array(Array(repeating: pod, count: n))])
        let events: JSONValue = .object(["kind": .string("List"), "items": .array(Array(repeating: event, count: n))])
        #expect(throws: FleetInputError("pods.json", "items[1]: pod vllm-0 (namespace ml) is listed twice (also items[0]): expected one capture of kubectl get pods -o json")) {
            _ = try ScaleUpTimeline(pods: pods, podsFile: "pods.json", events: events, eventsFile: "events.json")
        }
        // The same name in two namespaces is two pods.
        var other = pod
        if case .object(var o) = pod, case .object(var meta)? = o["metadata"] { meta["namespace"] = .string("dev"); o["metadata"] = .object(meta); other = .object(o) }
        let two = try ScaleUpTimeline(pods: .object(["kind": .string("List"), "items": .array([pod, other])]), podsFile: "pods.json",
                                      events: .object(["kind": .string("List"), "items": .array([event])]), eventsFile: "events.json")
        #expect(two.pods.count == 2)
    }

    /// Text that is not UTF-8 JSON: one line naming the file, the place and what was expected.
    @Test func notJSONIsNamed() throws {
        let tmp = TempDir("r3-enc")
        let report = FleetReportTests.report(host: "n1", FleetReportTests.healthy)
        func file(_ name: String, _ bytes: [UInt8]) -> String {
            let path = tmp.path + "/" + name
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            return path
        }
        let bom = file("bom.json", [0xEF, 0xBB, 0xBF] + Array(report.utf8))
        #expect(unreadable([bom]) == "\(bom): starts with a UTF-8 byte order mark (bytes 0-2): remove it (sed -i '1s/^\\xEF\\xBB\\xBF//' FILE): expected a check --json report or kubectl logs --prefix output")
        let utf16 = file("utf16.json", [0xFF, 0xFE] + report.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        #expect(unreadable([utf16]) == "\(utf16): UTF-16 text (byte order mark at byte 0): convert it (iconv -f UTF-16 -t UTF-8 FILE), or capture it again from a shell that writes UTF-8: expected a check --json report or kubectl logs --prefix output")
        let utf16be = file("be.json", report.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
        #expect(unreadable([utf16be]).hasPrefix("\(utf16be): UTF-16 text (a NUL byte at byte 0)"))
        let yaml = file("r.yaml", Array("# saved\n\ntool: sllm-doctor\nchecks: []\n".utf8))
        #expect(unreadable([yaml]) == "\(yaml): YAML, not JSON (line 3): expected a check --json report or kubectl logs --prefix output")

        let podsYAML = file("pods.yaml", Array("apiVersion: v1\nitems:\n- kind: Pod\n".utf8))
        #expect(throws: FleetInputError(podsYAML, "YAML, not JSON (line 1): expected the output of kubectl get pods -o json (kubectl's -o json, not -o yaml)")) {
            _ = try ScaleUpTimeline.load(podsFile: podsYAML, eventsFile: fixture("fleet/events.json"))
        }
        let events16 = file("events16.json", [0xFF, 0xFE] + (try String(contentsOfFile: fixture("fleet/events.json"), encoding: .utf8)).utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        #expect(throws: FleetInputError(events16, "UTF-16 text (byte order mark at byte 0): convert it (iconv -f UTF-16 -t UTF-8 FILE), or capture it again from a shell that writes UTF-8: expected the output of kubectl get events -o json")) {
            _ = try ScaleUpTimeline.load(podsFile: fixture("fleet/pods.json"), eventsFile: events16)
        }
        // JSON that merely fails is still told by the byte, not called YAML.
        let broken = file("broken.json", Array("{\"kind\": \"List\", \"items\": [}\n".utf8))
        #expect(throws: FleetInputError(broken, "invalid JSON at byte 27: expected a value (line 1)")) {
            _ = try ScaleUpTimeline.load(podsFile: broken, eventsFile: fixture("fleet/events.json"))
        }
    }

    /// A 20-digit year was reported as "month 99 does not exist" (its digits 6-7 read as the
    /// month); the year is the fault, and it is named with its length.
    @Test func aYearOfTheWrongLengthIsNamed() throws {
        let huge = "99999999999999999999-01-01T00:00:00Z"
        #expect(KubeTime.parse(huge) == nil)
        #expect(KubeTime.invalidPart(huge) == "year 99999999999999999999 has 20 digits (a year is exactly 4 digits followed by '-')")
        #expect(KubeTime.invalidPart("026-01-01T00:00:00Z") == "year 026 has 3 digits (a year is exactly 4 digits followed by '-')")
        #expect(KubeTime.invalidPart("20 Nov 2026 14:00") == nil)
        #expect(KubeTime.invalidPart("2026/13/01T00:00:00Z") == nil)
        #expect(KubeTime.invalidPart(String(repeating: "9", count: 100_000) + "-01-01T00:00:00Z")
            == "year 999999999999999999999999… has 100000 digits (a year is exactly 4 digits followed by '-')")
        #expect(KubeTime.invalidPart("2026-13-01T00:00:00Z") == "month 13 does not exist")

        let pods = try FleetInput.json(fixture("fleet/pods.json"))
        guard case .object(var top) = try FleetInput.json(fixture("fleet/events.json")), case .array(var items)? = top["items"],
              case .object(var first) = items[0] else { Issue.record("events fixture"); return }
        first["eventTime"] = .string(huge)
        items[0] = .object(first); top["items"] = .array(items)
        do {
            _ = try ScaleUpTimeline(pods: pods, podsFile: "pods.json", events: .object(top), eventsFile: "events.json")
            Issue.record("a 20-digit year was accepted")
        } catch let error as FleetInputError {
            #expect("\(error)".contains("year 99999999999999999999 has 20 digits"))
            #expect(!"\(error)".contains("month"))
        }
    }

    /// A day the month does not have, or an offset past ±23:59, was read as another time
    /// (2026-02-31 became 2026-03-03); now it is refused, naming the field and what is wrong.
    @Test func impossibleDatesAndOffsets() throws {
        #expect(KubeTime.parse("2026-02-31T14:00:00Z") == nil)
        #expect(KubeTime.parse("2026-04-31T14:00:00Z") == nil)
        #expect(KubeTime.parse("2024-02-29T00:00:00Z") == KubeTime.parse("2024-03-01T00:00:00Z").map { $0 - 86_400 })
        #expect(KubeTime.parse("2026-11-20T14:00:05+99:99") == nil)
        #expect(KubeTime.parse("2026-11-20T14:00:05+01:60") == nil)
        #expect(KubeTime.parse("2026-11-20T14:00:05+23:59") != nil)
        #expect(KubeTime.invalidPart("2026-02-31T14:00:00Z") == "day 31 does not exist in 2026-02 (28 days)")
        #expect(KubeTime.invalidPart("2026-11-20T14:00:05+99:99") == "offset +99:99 is out of range (-23:59 to +23:59)")
        #expect(KubeTime.invalidPart("yesterday") == nil)

        let pods = try FleetInput.json(fixture("fleet/pods.json"))
        let events = try FleetInput.json(fixture("fleet/events.json"))
        func with(_ doc: JSONValue, item: Int, key: String, _ value: String) -> JSONValue {
            guard case .object(var top) = doc, case .array(var items)? = top["items"], case .object(var it) = items[item],
                  case .object(var meta)? = it["metadata"] else { return doc }
            if key == "creationTimestamp" { meta[key] = .string(value); it["metadata"] = .object(meta) } else { it[key] = .string(value) }
            items[item] = .object(it); top["items"] = .array(items)
            return .object(top)
        }
        let name = pods["items"]?.array.first?[path: "metadata.name"]?.string ?? "?"
        #expect(throws: FleetInputError("pods.json", "pod \(name): metadata.creationTimestamp: day 31 does not exist in 2026-02 (28 days), expected an RFC 3339 time such as 2026-11-20T14:00:05Z")) {
            _ = try ScaleUpTimeline(pods: with(pods, item: 0, key: "creationTimestamp", "2026-02-31T14:00:00Z"), podsFile: "pods.json", events: events, eventsFile: "events.json")
        }
        let event = events["items"]?.array.first?[path: "metadata.name"]?.string ?? "event"
        #expect(throws: FleetInputError("events.json", "items[0] (\(event)).lastTimestamp: offset +99:99 is out of range (-23:59 to +23:59), expected an RFC 3339 time such as 2026-11-20T14:00:05Z")) {
            _ = try ScaleUpTimeline(pods: pods, podsFile: "pods.json", events: with(events, item: 0, key: "lastTimestamp", "2026-11-20T14:00:05+99:99"), eventsFile: "events.json")
        }
    }
}
