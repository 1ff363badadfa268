import Foundation
import Testing
import TestSupport
@testable import Fleet
import SystemProbes
import Basics

/// The scale-up of seed 002 from 1 to 6 replicas, as `kubectl get pods -o json` and
/// `kubectl get events -o json` print it: one pod on a node with room and the image cached,
/// two that waited for Karpenter's nodes (one pulled for a minute, one for ten), one whose node
/// never came up, one crash-looping; and the replica it scaled from.
@Suite("fleet timeline")
struct ScaleUpTimelineTests {
    let pods = fixture("fleet/pods.json")
    let events = fixture("fleet/events.json")

    func load(_ p: String? = nil, _ e: String? = nil) throws -> ScaleUpTimeline {
        try ScaleUpTimeline.load(podsFile: p ?? pods, eventsFile: e ?? events)
    }

    func error(_ p: String? = nil, _ e: String? = nil, limit: Int = FleetInput.defaultLimit) -> String {
        do { _ = try ScaleUpTimeline.load(podsFile: p ?? pods, eventsFile: e ?? events, limit: limit); return "no error" }
        catch let e as FleetInputError { return e.description }
        catch { return "other error: \(error)" }
    }

    @Test func perPodPhasesFromPodsAndEvents() throws {
        let tl = try load()
        #expect(tl.pods.map(\.name) == ["vllm-7c9d8b6f5-2xkqp", "vllm-7c9d8b6f5-8hjwz", "vllm-7c9d8b6f5-k4v9t", "vllm-7c9d8b6f5-crsh7", "vllm-7c9d8b6f5-q4m2c"])
        #expect(tl.alreadyRunning.map(\.name) == ["vllm-7c9d8b6f5-old11"])
        #expect(KubeTime.format(tl.origin) == "2026-11-20T14:00:00Z")
        let byName = Dictionary(uniqueKeysWithValues: tl.pods.map { ($0.name, $0) })

        let cached = try #require(byName["vllm-7c9d8b6f5-2xkqp"])
        #expect(cached.seconds(.node) == 1 && cached.seconds(.pull) == 0 && cached.pullSource == "already present")
        #expect(cached.ready.map { $0 - tl.origin } == 38)

        let waited = try #require(byName["vllm-7c9d8b6f5-8hjwz"])
        #expect(waited.failedScheduling.map { $0.at - tl.origin } == 1)
        #expect(waited.nominated == ScaleUpTimeline.Mark(at: tl.origin + 3, text: "nodeclaim/gpu-x7k2p"))
        #expect(waited.seconds(.node) == 108)
        #expect(waited.node == "ip-10-0-2-77.ec2.internal")
        #expect(abs(waited.seconds(.pull)! - 63.2) < 1e-6)
        #expect(waited.pullSource == "kubelet: in 1m3.2s")
        #expect(waited.image == "vllm/vllm-openai:v0.6.3")
        // The scheduler's events carry eventTime with microseconds, the kubelet's whole seconds.
        #expect(waited.scheduled.map { $0 - tl.origin } == 108)

        let slowPull = try #require(byName["vllm-7c9d8b6f5-k4v9t"])
        #expect(slowPull.seconds(.pull) == 602.5)
        #expect(slowPull.ready.map { $0 - tl.origin } == 760)

        #expect(tl.allReadyAfter == nil)
        #expect(tl.readyPods.count == 3)
        let slowest = try #require(tl.slowest)
        #expect(slowest.phase == .pull && slowest.pod.name == "vllm-7c9d8b6f5-k4v9t" && slowest.seconds == 602.5)

        #expect(byName["vllm-7c9d8b6f5-crsh7"]?.notReady == "CrashLoopBackOff: 6 restarts, last exit 1 (Error)")
        let pending = try #require(byName["vllm-7c9d8b6f5-q4m2c"]?.notReady)
        #expect(pending.hasPrefix("Pending: Unschedulable (0/3 nodes are available: 1 Insufficient nvidia.com/gpu"))
        #expect(pending.hasSuffix("; Karpenter nominated nodeclaim/gpu-zz9rf after 3s, no node took the pod"))
        #expect(tl.capturedUntil - tl.origin == 775)
    }

    @Test func theAPIsOwnListKindsAndAllReady() throws {
        let tl = try load(fixture("fleet/pods-ready.json"), fixture("fleet/events-ready.json"))
        #expect(tl.pods.count == 3)
        #expect(tl.allReadyAfter == 760)
        #expect(tl.neverReady.isEmpty)
    }

    @Test func theTextNamesTheSlowestPhaseAndWhyPodsNeverCameUp() throws {
        let text = TimelineRenderer().text(try load(), svgPath: "t.svg")
        #expect(text.contains("3 of 5 pods Ready (the last at +12m40s); 2 never became Ready by +12m55s.\n"))
        #expect(text.contains("Slowest phase: image pull, 10m03s on vllm-7c9d8b6f5-k4v9t (kubelet: in 10m2.5s).\n"))
        #expect(text.contains("  vllm-7c9d8b6f5-8hjwz: FailedScheduling +1s → Nominated +3s (nodeclaim/gpu-x7k2p) → Scheduled +1m48s on ip-10-0-2-77.ec2.internal\n"))
        #expect(text.contains("  vllm-7c9d8b6f5-crsh7: CrashLoopBackOff: 6 restarts, last exit 1 (Error)\n"))
        #expect(text.contains("vllm-7c9d8b6f5-k4v9t  ip-10-0-3-14.ec2.internal  +0s      +1m52s     1m52s            10m03s (kubelet: in 10m2.5s)  +11m58s  +12m40s\n"), "\(text)")
        let json = try JSONLite.parse(Array(TimelineRenderer().json(try load(fixture("fleet/pods-ready.json"), fixture("fleet/events-ready.json")), svgPath: nil).utf8))
        #expect(json["all_ready_after_s"]?.double == 760)
        #expect(json["slowest_phase"]?["phase"]?.string == "image_pull")
        #expect(json["pods"].map { if case .array(let a) = $0 { a.count } else { 0 } } == 3)
    }

    @Test func theChartHasARowPerPod() throws {
        let svg = TimelineChart.svg(try load())
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.hasSuffix("</svg>\n"))
        for name in ["2xkqp", "8hjwz", "k4v9t", "crsh7", "q4m2c"] { #expect(svg.contains(">vllm-7c9d8b6f5-\(name)</text>")) }
        #expect(svg.contains("<title>vllm-7c9d8b6f5-k4v9t: image pull 10m03s</title>"))
        #expect(svg.components(separatedBy: "fill=\"#d62728\"><title>").count - 1 == 2)   // the two never-Ready bars
    }

    // MARK: - bad input: one line naming the file

    /// A copy of a fixture, edited, in `tmp`.
    func rewrite(_ file: String, in tmp: TempDir, _ edit: (inout [String: Any]) -> Void) -> String {
        var obj = try! JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [String: Any]
        edit(&obj)
        let out = tmp.path + "/" + UUID().uuidString.prefix(6) + "-" + file.split(separator: "/").last!
        try! JSONSerialization.data(withJSONObject: obj).write(to: URL(fileURLWithPath: out))
        return out
    }

    @Test func swappedFiles() {
        #expect(error(events, pods) == "\(events): holds Events, expected Pods for --pods (kubectl get pods -o json): are --pods and --events swapped?")
        #expect(error(pods, pods) == "\(pods): holds Pods, expected Events for --events (kubectl get events -o json): are --pods and --events swapped?")
    }

    @Test func aSinglePodInsteadOfAList() {
        let tmp = TempDir("bad")
        let one = rewrite(pods, in: tmp) { obj in obj = (obj["items"] as! [[String: Any]])[1] }
        #expect(error(one) == "\(one): a single Pod, expected a list: kubectl get pods -o json (without naming one pod)")
    }

    @Test func missingTimeStamps() {
        let tmp = TempDir("bad")
        let noCreation = rewrite(pods, in: tmp) { obj in
            var items = obj["items"] as! [[String: Any]]
            var meta = items[2]["metadata"] as! [String: Any]
            meta["creationTimestamp"] = NSNull()
            items[2]["metadata"] = meta
            obj["items"] = items
        }
        #expect(error(noCreation) == "\(noCreation): pod vllm-7c9d8b6f5-8hjwz: no metadata.creationTimestamp: expected pods as the API returns them (kubectl get pods -o json)")
        let readyWithoutTime = rewrite(pods, in: tmp) { obj in
            var items = obj["items"] as! [[String: Any]]
            var status = items[1]["status"] as! [String: Any]
            var conditions = status["conditions"] as! [[String: Any]]
            for i in conditions.indices where conditions[i]["type"] as? String == "Ready" { conditions[i]["lastTransitionTime"] = nil }
            status["conditions"] = conditions
            items[1]["status"] = status
            obj["items"] = items
        }
        #expect(error(readyWithoutTime) == "\(readyWithoutTime): pod vllm-7c9d8b6f5-2xkqp: condition Ready is True without lastTransitionTime: expected the API's time stamps")
        let garbled = rewrite(events, in: tmp) { obj in
            var items = obj["items"] as! [[String: Any]]
            items[3]["firstTimestamp"] = "20 Nov 2026 14:00"
            obj["items"] = items
        }
        #expect(error(nil, garbled).hasPrefix("\(garbled): items[3] ("))
        #expect(error(nil, garbled).hasSuffix(".firstTimestamp: expected an RFC 3339 time such as 2026-11-20T14:00:05Z"))
    }

    @Test func stillPendingPodsAreNamedNotRefused() throws {
        let tmp = TempDir("bad")
        // Captured before anything was scheduled: no scheduled, started or Ready times at all.
        let early = rewrite(pods, in: tmp) { obj in
            obj["items"] = (obj["items"] as! [[String: Any]]).filter { ($0["metadata"] as! [String: Any])["name"] as! String == "vllm-7c9d8b6f5-q4m2c" }
        }
        let tl = try load(early)
        #expect(tl.pods.count == 1 && tl.readyPods.isEmpty && tl.slowest == nil)
        #expect(tl.neverReady.first?.notReady?.hasPrefix("Pending: Unschedulable") == true)
    }

    @Test func eventsOlderThanThePods() {
        let tmp = TempDir("bad")
        let old = rewrite(events, in: tmp) { obj in
            obj["items"] = (obj["items"] as! [[String: Any]]).filter { item in
                ((item["involvedObject"] as! [String: Any])["name"] as! String).hasSuffix("old11")
            }
        }
        let shifted = rewrite(pods, in: tmp) { obj in
            obj["items"] = (obj["items"] as! [[String: Any]]).filter { !(($0["metadata"] as! [String: Any])["name"] as! String).hasSuffix("old11") }
        }
        #expect(error(shifted, old) == "\(old): its newest event (2026-11-20T13:02:03Z) is older than the first pod (2026-11-20T14:00:00Z): events of an earlier time; capture them again after the scale-up (events are kept about an hour)")
    }

    @Test func aHugeEventsListIsRefusedBeforeItIsRead() throws {
        let tmp = TempDir("big")
        let path = tmp.path + "/events.json"
        let list = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: events))) as! [String: Any]
        let one = try JSONSerialization.data(withJSONObject: (list["items"] as! [[String: Any]])[5])
        var chunk = Data()
        for _ in 0..<1000 { chunk.append(one); chunk.append(UInt8(ascii: ",")) }
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.write(Data("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[".utf8))
        while (try handle.offset()) < 50 << 20 { handle.write(chunk) }
        handle.write(one + Data("]}".utf8))
        try handle.close()
        #expect(error(nil, path) == "\(path): 50 MiB is more than the 16 MiB this reads: narrow it: kubectl get events -n NAMESPACE --field-selector involvedObject.kind=Pod -o json")
        // A pipe has no size to check first: the read stops at the limit.
        #expect(throws: FleetInputError.self) { try FleetInput.read("/dev/zero", limit: 1 << 20) }
    }

    @Test func notJSONAtAll() {
        let tmp = TempDir("txt")
        let f = tmp.write("pods.txt", "NAME                   READY   STATUS\nvllm-7c9d8b6f5-2xkqp   1/1     Running\n")
        #expect(error(f) == "\(f): invalid JSON at byte 0: expected a value (line 1)")
        let empty = tmp.write("empty.json", "\n")
        #expect(error(nil, empty) == "\(empty): is empty, expected JSON")
    }
}
