import Foundation
import Testing
import TestSupport
@testable import Fleet
import SystemProbes
import Basics

/// Property: whatever a field of kubectl's JSON holds (a wrong type, null, nothing), the
/// timeline and the report either read it or refuse it with one line naming the file. A trap
/// would end the test process: that is the failure this looks for.
@Suite("fleet: hostile JSON")
struct HostileFleetInputTests {
    static let replacements: [JSONValue] = [.null, .string(""), .string("not a time"), .number(-1), .number(1e300), .bool(true),
                                            .array([]), .object([:]), .array([.null]), .string("2026-11-20T14:00:00Z")]

    /// Every path to a value in the document.
    static func paths(_ v: JSONValue, _ prefix: [String] = []) -> [[String]] {
        switch v {
        case .object(let o): return [prefix] + o.flatMap { paths($0.value, prefix + [$0.key]) }
        case .array(let a): return [prefix] + a.enumerated().flatMap { paths($0.element, prefix + ["#\($0.offset)"]) }
        default: return [prefix]
        }
    }

    static func replacing(_ v: JSONValue, at path: ArraySlice<String>, with new: JSONValue?) -> JSONValue? {
        guard let head = path.first else { return new }
        switch v {
        case .object(var o):
            o[head] = o[head].flatMap { replacing($0, at: path.dropFirst(), with: new) }
            return .object(o)
        case .array(var a):
            guard let i = Int(head.dropFirst()), i < a.count else { return v }
            if let r = replacing(a[i], at: path.dropFirst(), with: new) { a[i] = r } else { a.remove(at: i) }
            return .array(a)
        default: return v
        }
    }

    @Test func mutatedPodsAndEventsNeverCrash() throws {
        let pods = try FleetInput.json(fixture("fleet/pods.json"))
        let events = try FleetInput.json(fixture("fleet/events.json"))
        var rng = SplitMix(state: 26)
        let podPaths = Self.paths(pods), eventPaths = Self.paths(events)
        var refused = 0, read = 0
        for round in 0..<600 {
            let mutatePods = round % 2 == 0
            let path = (mutatePods ? podPaths : eventPaths).randomElement(using: &rng)!
            let new = Int.random(in: 0...10, using: &rng) == 0 ? nil : Self.replacements.randomElement(using: &rng)!
            let p = mutatePods ? (Self.replacing(pods, at: path[...], with: new) ?? .null) : pods
            let e = mutatePods ? events : (Self.replacing(events, at: path[...], with: new) ?? .null)
            do {
                let tl = try ScaleUpTimeline(pods: p, podsFile: "pods.json", events: e, eventsFile: "events.json")
                _ = TimelineRenderer().text(tl, svgPath: nil)
                _ = TimelineChart.svg(tl)
                read += 1
            } catch let error as FleetInputError {
                #expect(["pods.json", "events.json"].contains(error.file))
                #expect(!error.description.contains("\n"), "\(error)")
                refused += 1
            }
        }
        #expect(read > 0 && refused > 0, "read \(read), refused \(refused)")
    }

    @Test func mutatedReportsNeverCrash() throws {
        let tmp = TempDir("hostile-report")
        let source = FleetReportTests.report(host: "n1", FleetReportTests.healthy)
        let report = try JSONLite.parse(Array(source.utf8))
        var rng = SplitMix(state: 2026)
        for _ in 0..<300 {
            let path = Self.paths(report).randomElement(using: &rng)!
            let new = Int.random(in: 0...10, using: &rng) == 0 ? nil : Self.replacements.randomElement(using: &rng)!
            let file = tmp.write("r.json", (Self.replacing(report, at: path[...], with: new) ?? .null).prettyText())
            do { _ = FleetRenderer().text(try FleetReport.load([file])) } catch let error as FleetInputError {
                #expect(error.file == file && !error.description.contains("\n"), "\(error)")
            }
        }
    }
}
