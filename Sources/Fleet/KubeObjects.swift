import SystemProbes
import Basics

/// The lists `kubectl get pods -o json` and `kubectl get events -o json` print (v1 PodList /
/// EventList, or kubectl's `List` whose items carry their own kind), read strictly enough to
/// name the file when it is the wrong one.
enum KubeList {
    enum Expect: String { case pod = "Pod", event = "Event" }

    static func items(_ json: JSONValue, file: String, expect: Expect) throws -> [JSONValue] {
        let command = expect == .pod ? "kubectl get pods -o json" : "kubectl get events -o json"
        guard let top = json.object else { throw FleetInputError(file, "not a JSON object: expected the output of \(command)") }
        let kind = top["kind"]?.string ?? ""
        if kind == "Pod" || kind == "Event" {
            throw FleetInputError(file, "a single \(kind), expected a list: \(command) (without naming one \(kind.lowercased()))")
        }
        guard kind == "List" || kind == "PodList" || kind == "EventList" else {
            throw FleetInputError(file, kind.isEmpty ? "no kind: expected the output of \(command)" : "kind \(kind), expected a List of \(expect.rawValue)s: \(command)")
        }
        guard let list = top["items"], case .array(let items) = list else {
            throw FleetInputError(file, "no items array: expected the output of \(command)")
        }
        let other: Expect = expect == .pod ? .event : .pod
        let listKind = kind == "PodList" ? Expect.pod : kind == "EventList" ? Expect.event : nil
        for (i, item) in items.enumerated() {
            guard item.object != nil else { throw FleetInputError(file, "items[\(i)]: not an object") }
            let itemKind = item["kind"]?.string.flatMap(Expect.init(rawValue:)) ?? listKind ?? (item["involvedObject"] != nil ? .event : item["spec"] != nil ? .pod : nil)
            if itemKind == other || (listKind == other) {
                let flag = expect == .pod ? "--pods" : "--events"
                throw FleetInputError(file, "holds \(other.rawValue)s, expected \(expect.rawValue)s for \(flag) (\(command)): are --pods and --events swapped?")
            }
            if itemKind == nil, let k = item["kind"]?.string {
                throw FleetInputError(file, "items[\(i)]: kind \(k), expected \(expect.rawValue)")
            }
        }
        return items
    }
}

extension JSONValue {
    /// `a.b.c` through nested objects.
    subscript(path path: String) -> JSONValue? {
        var v: JSONValue? = self
        for key in path.split(separator: ".") { v = v?[String(key)] }
        if case .null = v { return nil }
        return v
    }
    var array: [JSONValue] { if case .array(let a) = self { return a }; return [] }
    var int: Int? { double.map { Int(exactly: $0.rounded()) ?? 0 } }
}
