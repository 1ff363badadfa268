import Foundation
import SystemProbes
import Basics

/// A scale-up from `kubectl get pods -o json` and `kubectl get events -o json`: per pod when it
/// was created, waited for a node (FailedScheduling → Nominated by Karpenter → Scheduled),
/// pulled its image, started its container and became Ready; or why it never did.
public struct ScaleUpTimeline: Sendable {
    public enum Phase: String, CaseIterable, Sendable {
        case node = "wait_for_node", setup = "pod_setup", pull = "image_pull", start = "container_start", ready = "start_to_ready"

        public var label: String {
            switch self {
            case .node: "wait for node"
            case .setup: "pod setup"
            case .pull: "image pull"
            case .start: "container start"
            case .ready: "server start to Ready"
            }
        }
    }

    public struct Mark: Sendable, Equatable {
        public var at: Double
        public var text: String
    }

    public struct Pod: Sendable {
        public var name: String
        public var namespace: String
        public var node: String?
        public var created: Double
        /// The first FailedScheduling (no node fits) and the first Nominated (Karpenter chose
        /// a node claim for it).
        public var failedScheduling: Mark?
        public var nominated: Mark?
        public var scheduled: Double?
        public var image: String?
        public var pullStart: Double?
        public var pullEnd: Double?
        /// How the pull's length is known: the kubelet's own figure, Pulling→Pulled, or cached.
        public var pullSource: String?
        /// The kubelet's figure without waiting for other pulls, when it gives both.
        public var pullTransferSeconds: Double?
        public var started: Double?
        public var ready: Double?
        public var restarts = 0
        /// Why it is not Ready (nil when it is).
        public var notReady: String?

        /// Each phase whose two ends are known, in order; negative spans from second-granular
        /// stamps count as 0.
        public var phases: [(phase: Phase, from: Double, to: Double)] {
            var out: [(Phase, Double, Double)] = []
            func add(_ p: Phase, _ a: Double?, _ b: Double?) { if let a, let b { out.append((p, a, max(a, b))) } }
            add(.node, created, scheduled)
            if let pullStart, let pullEnd {
                add(.setup, scheduled, pullStart)
                add(.pull, pullStart, pullEnd)
                add(.start, pullEnd, started)
            } else {
                add(.setup, scheduled, started)
            }
            add(.ready, started, ready)
            return out
        }

        public func seconds(_ p: Phase) -> Double? {
            phases.first { $0.phase == p }.map { $0.to - $0.from }
        }
    }

    public let pods: [Pod]
    /// Pods that were Ready well before the scale-up began (the replica you scaled from): listed, not timed.
    public let alreadyRunning: [Pod]
    /// The first pod's creation: every offset counts from here.
    public let origin: Double
    /// The last time stamp in either file: how far the capture reaches.
    public let capturedUntil: Double

    public var readyPods: [Pod] { pods.filter { $0.ready != nil } }
    public var neverReady: [Pod] { pods.filter { $0.ready == nil } }
    /// From the first creation until the last pod was Ready; nil unless all were.
    public var allReadyAfter: Double? {
        guard neverReady.isEmpty, let last = pods.compactMap(\.ready).max() else { return nil }
        return last - origin
    }

    /// The single longest phase of any pod.
    public var slowest: (pod: Pod, phase: Phase, seconds: Double)? {
        var best: (Pod, Phase, Double)?
        for pod in pods {
            for p in pod.phases where (p.to - p.from) > (best?.2 ?? -1) { best = (pod, p.phase, p.to - p.from) }
        }
        return best
    }

    // MARK: - Reading

    public static func load(podsFile: String, eventsFile: String, limit: Int = FleetInput.defaultLimit) throws -> ScaleUpTimeline {
        let pods = try FleetInput.json(podsFile, limit: limit, hint: "select the pods of one scale-up: kubectl get pods -l app=NAME -o json",
                                       expected: "the output of kubectl get pods -o json")
        let events = try FleetInput.json(eventsFile, limit: limit,
                                         hint: "narrow it: kubectl get events -n NAMESPACE --field-selector involvedObject.kind=Pod -o json",
                                         expected: "the output of kubectl get events -o json")
        return try ScaleUpTimeline(pods: pods, podsFile: podsFile, events: events, eventsFile: eventsFile)
    }

    struct Event {
        var at: Double
        var reason: String
        var message: String
        var type: String
        var component: String
        var container: String?
    }

    public init(pods podsJSON: JSONValue, podsFile: String, events eventsJSON: JSONValue, eventsFile: String) throws {
        let podItems = try KubeList.items(podsJSON, file: podsFile, expect: .pod)
        let eventItems = try KubeList.items(eventsJSON, file: eventsFile, expect: .event)
        guard !podItems.isEmpty else { throw FleetInputError(podsFile, "no pods in the list: expected the pods of a scale-up (kubectl get pods -l app=NAME -o json)") }

        func time(_ v: JSONValue?, _ file: String, _ what: String) throws -> Double? {
            guard let v, v != .null else { return nil }
            guard let s = v.string, let t = KubeTime.parse(s) else {
                let why = v.string.flatMap(KubeTime.invalidPart).map { "\($0), " } ?? ""
                throw FleetInputError(file, "\(what): \(why)expected an RFC 3339 time such as 2026-11-20T14:00:05Z")
            }
            return t
        }

        // Events by pod (namespace/name), with their uid when given.
        var byPod: [String: [(uid: String?, event: Event)]] = [:]
        var latest = -Double.infinity
        var newestEvent = -Double.infinity
        for (i, e) in eventItems.enumerated() {
            let what = "items[\(i)] (\(e[path: "metadata.name"]?.string ?? "event"))"
            guard let involved = e["involvedObject"], involved.object != nil else { throw FleetInputError(eventsFile, "\(what): no involvedObject: expected a v1 Event") }
            let at = try time(e["eventTime"], eventsFile, "\(what).eventTime") ?? time(e["firstTimestamp"], eventsFile, "\(what).firstTimestamp")
                ?? time(e["lastTimestamp"], eventsFile, "\(what).lastTimestamp") ?? time(e[path: "metadata.creationTimestamp"], eventsFile, "\(what).metadata.creationTimestamp")
            guard let at else { throw FleetInputError(eventsFile, "\(what): no time (eventTime, firstTimestamp, lastTimestamp and metadata.creationTimestamp all missing)") }
            newestEvent = max(newestEvent, try time(e["lastTimestamp"], eventsFile, "\(what).lastTimestamp") ?? at)
            guard involved["kind"]?.string == "Pod", let name = involved["name"]?.string else { continue }
            let ns = involved["namespace"]?.string ?? e[path: "metadata.namespace"]?.string ?? "default"
            var container: String?
            if let field = involved["fieldPath"]?.string, field.hasPrefix("spec.containers{"), field.hasSuffix("}") {
                container = String(field.dropFirst("spec.containers{".count).dropLast())
            } else if let field = involved["fieldPath"]?.string, !field.isEmpty {
                container = "(\(field))"   // an init or ephemeral container: not the server's
            }
            let component = e[path: "source.component"]?.string ?? e["reportingComponent"]?.string ?? ""
            byPod["\(ns)/\(name)", default: []].append((involved["uid"]?.string, Event(
                at: at, reason: e["reason"]?.string ?? "", message: e["message"]?.string ?? "", type: e["type"]?.string ?? "",
                component: component, container: container)))
        }
        if !eventItems.isEmpty { latest = newestEvent }

        // One pod per name and namespace, as the API lists them: a name given twice would have
        // every copy claim every event of that name (quadratic, and no real capture does it).
        var firstIndex: [String: Int] = [:]
        for (i, item) in podItems.enumerated() {
            guard let name = item[path: "metadata.name"]?.string else { continue }
            let ns = item[path: "metadata.namespace"]?.string ?? "default"
            if let first = firstIndex.updateValue(i, forKey: "\(ns)/\(name)") {
                throw FleetInputError(podsFile, "items[\(i)]: pod \(name) (namespace \(ns)) is listed twice (also items[\(first)]): expected one capture of kubectl get pods -o json")
            }
        }

        var all: [Pod] = []
        var matched = 0
        for (i, item) in podItems.enumerated() {
            let name = item[path: "metadata.name"]?.string ?? "items[\(i)]"
            let what = "pod \(name)"
            guard let created = try time(item[path: "metadata.creationTimestamp"], podsFile, "\(what): metadata.creationTimestamp") else {
                throw FleetInputError(podsFile, "\(what): no metadata.creationTimestamp: expected pods as the API returns them (kubectl get pods -o json)")
            }
            let ns = item[path: "metadata.namespace"]?.string ?? "default"
            let uid = item[path: "metadata.uid"]?.string
            let main = item[path: "spec.containers"]?.array.first?["name"]?.string
            // Events of this pod, not of an earlier pod of the same name.
            let events = (byPod["\(ns)/\(name)"] ?? [])
                .filter { e in (uid == nil || e.uid == nil || e.uid == uid) && e.event.at >= created - 1 }
                .map(\.event).sorted { $0.at < $1.at }
            matched += events.count
            var pod = Pod(name: name, namespace: ns, node: item[path: "spec.nodeName"]?.string, created: created)
            latest = max(latest, created)

            var conditions: [String: (status: String, at: Double?, reason: String?, message: String?)] = [:]
            for (j, c) in (item[path: "status.conditions"]?.array ?? []).enumerated() {
                guard let type = c["type"]?.string else { continue }
                let at = try time(c["lastTransitionTime"], podsFile, "\(what): status.conditions[\(j)] (\(type)).lastTransitionTime")
                let status = c["status"]?.string ?? "Unknown"
                if status == "True", at == nil, type == "PodScheduled" || type == "Ready" {
                    throw FleetInputError(podsFile, "\(what): condition \(type) is True without lastTransitionTime: expected the API's time stamps")
                }
                conditions[type] = (status, at, c["reason"]?.string, c["message"]?.string)
                if let at { latest = max(latest, at) }
            }

            pod.failedScheduling = events.first { $0.reason == "FailedScheduling" }.map { Mark(at: $0.at, text: $0.message) }
            pod.nominated = events.first { $0.reason == "Nominated" }.map { e in
                Mark(at: e.at, text: e.message.components(separatedBy: ": ").dropFirst().joined(separator: ": ").trimmingSpaces())
            }
            if let s = conditions["PodScheduled"], s.status == "True" {
                pod.scheduled = s.at
            } else if let e = events.first(where: { $0.reason == "Scheduled" }) {
                pod.scheduled = e.at
            }
            if pod.node == nil, let e = events.first(where: { $0.reason == "Scheduled" }), let r = e.message.range(of: " to ") {
                pod.node = String(e.message[r.upperBound...])
            }

            // The server container's pull: the kubelet's own figure, else Pulling→Pulled.
            let mine = events.filter { $0.container == nil || $0.container == main }
            if let pulled = mine.first(where: { $0.reason == "Pulled" }) {
                if pulled.message.contains("already present on machine") {
                    pod.pullStart = pulled.at; pod.pullEnd = pulled.at; pod.pullSource = "already present"
                    pod.image = Self.quoted(pulled.message)
                } else if let (took, withWaiting) = Self.kubeletPull(pulled.message) {
                    let length = withWaiting ?? took
                    pod.pullEnd = pulled.at
                    pod.pullStart = max(pod.scheduled ?? created, pulled.at - length)
                    pod.pullSource = "kubelet: in \(Self.kubeletFigure(pulled.message) ?? KubeTime.span(took))"
                    if withWaiting != nil { pod.pullTransferSeconds = took }
                    pod.image = Self.quoted(pulled.message)
                } else if let pulling = mine.first(where: { $0.reason == "Pulling" && $0.at <= pulled.at }) {
                    pod.pullStart = pulling.at; pod.pullEnd = pulled.at; pod.pullSource = "Pulling→Pulled events"
                    pod.image = Self.quoted(pulled.message)
                }
            }

            let status = item[path: "status.containerStatuses"]?.array.first { $0["name"]?.string == main }
                ?? item[path: "status.containerStatuses"]?.array.first
            pod.restarts = status?["restartCount"]?.int ?? 0
            let running = try time(status?[path: "state.running.startedAt"], podsFile, "\(what): state.running.startedAt")
            let ready = conditions["Ready"].flatMap { $0.status == "True" ? $0.at : nil }
            pod.ready = ready
            pod.started = (ready != nil ? running : nil) ?? mine.first { $0.reason == "Started" }?.at ?? running
            for t in [pod.scheduled, pod.started, pod.pullEnd, pod.ready].compactMap({ $0 }) { latest = max(latest, t) }
            if ready == nil { pod.notReady = Self.reason(pod, conditions: conditions, status: status, events: mine) }
            all.append(pod)
        }

        // The replicas you scaled from were Ready long before the next pod was created; a
        // StatefulSet's next pod follows its predecessor's Ready within seconds, so a gap of a
        // minute or more tells them apart.
        let byCreation = all.sorted { a, b in a.created != b.created ? a.created < b.created : a.name < b.name }
        var k = 0
        while k + 1 < byCreation.count, let r = byCreation[k].ready, byCreation[k + 1].created - r >= Self.scaleUpGap { k += 1 }
        self.alreadyRunning = Array(byCreation[..<k])
        let pods = Array(byCreation[k...])
        let origin = pods.map(\.created).min()!
        if !eventItems.isEmpty && matched == 0 {
            if newestEvent < origin {
                throw FleetInputError(eventsFile, "its newest event (\(KubeTime.format(newestEvent))) is older than the first pod (\(KubeTime.format(origin))): events of an earlier time; capture them again after the scale-up (events are kept about an hour)")
            }
            throw FleetInputError(eventsFile, "none of its \(eventItems.count) events is about the pods in \(podsFile): capture both from the same namespace (kubectl get events -n NAMESPACE -o json)")
        }
        // Ready ones in the order they became Ready, then the rest.
        self.pods = pods.sorted { a, b in
            let ra = a.ready ?? .infinity, rb = b.ready ?? .infinity
            return ra != rb ? ra < rb : a.created != b.created ? a.created < b.created : a.name < b.name
        }
        self.origin = origin
        self.capturedUntil = max(latest, origin)
    }

    /// A pod Ready this long before the next one was created was running before the scale-up.
    public static let scaleUpGap = 60.0

    /// Why a pod is not Ready, in the words its status and events give.
    static func reason(_ pod: Pod, conditions: [String: (status: String, at: Double?, reason: String?, message: String?)],
                       status: JSONValue?, events: [Event]) -> String {
        if pod.scheduled == nil {
            var text = "Pending"
            if let c = conditions["PodScheduled"], c.status != "True" {
                text += ": \(c.reason ?? "not scheduled")" + (c.message.map { " (\(clip($0)))" } ?? "")
            } else if let f = pod.failedScheduling {
                text += ": FailedScheduling (\(clip(f.text)))"
            } else {
                text += ": not scheduled yet"
            }
            if let n = pod.nominated {
                text += "; Karpenter nominated \(n.text.isEmpty ? "a node" : n.text) after \(KubeTime.span(n.at - pod.created)), no node took the pod"
            } else if pod.failedScheduling != nil {
                text += "; no node was nominated (no autoscaler answered: Karpenter's NodePool limits or logs)"
            }
            return text
        }
        let lastWarning = events.last { $0.type == "Warning" }
        if let waiting = status?[path: "state.waiting"] {
            let why = waiting["reason"]?.string ?? "Waiting"
            switch why {
            case "CrashLoopBackOff":
                let last = status?[path: "lastState.terminated"]
                let exit = last?["exitCode"]?.int.map { "last exit \($0)" + (last?["reason"]?.string.map { " (\($0))" } ?? "") }
                return "CrashLoopBackOff: \(pod.restarts) restart\(pod.restarts == 1 ? "" : "s")" + (exit.map { ", \($0)" } ?? "")
            case "ImagePullBackOff", "ErrImagePull":
                let msg = waiting["message"]?.string ?? events.last { $0.reason == "Failed" }?.message
                return why + (msg.map { ": \(clip($0))" } ?? "")
            default:
                let msg = waiting["message"]?.string ?? lastWarning.map { "\($0.reason): \($0.message)" }
                return why + (msg.map { " (\(clip($0)))" } ?? "")
            }
        }
        if let t = status?[path: "state.terminated"] {
            return "terminated: \(t["reason"]?.string ?? "exit") \(t["exitCode"]?.int.map(String.init) ?? "")".trimmingSpaces()
        }
        if status?[path: "state.running"] != nil {
            let probe = events.last { $0.reason == "Unhealthy" }
            return "running, not Ready" + (probe.map { " (\(clip($0.message)))" } ?? "")
        }
        return "not Ready" + (lastWarning.map { " (\($0.reason): \(clip($0.message)))" } ?? "")
    }

    static func clip(_ s: String, _ n: Int = 160) -> String {
        let one = s.replacingEvery("\n", with: " ")
        return one.count <= n ? one : String(one.prefix(n - 1)) + "…"
    }

    /// `Successfully pulled image "x" in 1m3.2s (1m3.5s including waiting). Image size: …`:
    /// the pull's length and, when given, its length with waiting for other pulls.
    static func kubeletPull(_ message: String) -> (Double, Double?)? {
        guard let figure = kubeletFigure(message), let took = KubeTime.goDuration(figure) else { return nil }
        var waiting: Double?
        if let open = message.range(of: "(", range: message.range(of: " in " + figure)!.upperBound..<message.endIndex),
           let close = message.range(of: " including waiting)", range: open.upperBound..<message.endIndex) {
            waiting = KubeTime.goDuration(String(message[open.upperBound..<close.lowerBound]))
        }
        return (took, waiting)
    }

    static func kubeletFigure(_ message: String) -> String? {
        guard message.hasPrefix("Successfully pulled image"), let quote = message.range(of: "\" in ") else { return nil }
        var figure = message[quote.upperBound...].prefix { $0 != " " && $0 != "(" }
        if figure.hasSuffix(".") || figure.hasSuffix(",") { figure = figure.dropLast() }
        return figure.isEmpty ? nil : String(figure)
    }

    static func quoted(_ message: String) -> String? {
        guard let a = message.firstIndex(of: "\""), let b = message[message.index(after: a)...].firstIndex(of: "\"") else { return nil }
        return String(message[message.index(after: a)..<b])
    }
}
