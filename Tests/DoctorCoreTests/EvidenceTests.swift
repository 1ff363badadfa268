import Foundation
import Testing
@testable import DoctorCore

/// Evidence keeps its items in the order they were first set, and setting N keys is linear
/// (an engine may list 50,000 containers, each one an item).
@Suite("evidence: ordered, linear to build")
struct EvidenceTests {
    @Test func orderOverwriteAndRemoval() {
        var e: Evidence = ["a": "1", "b": "2", "c": "3"]
        e["b"] = "two"
        e["d"] = "4"
        #expect(e.items.map(\.key) == ["a", "b", "c", "d"])
        #expect(e["b"] == "two")
        e["a"] = nil
        #expect(e.items.map(\.key) == ["b", "c", "d"])
        #expect(e["a"] == nil && e["c"] == "3" && e["d"] == "4")
        e["c"] = "three"
        e["a"] = "again"
        #expect(e.items.map(\.key) == ["b", "c", "d", "a"])
        #expect(e.items.map(\.value) == ["two", "three", "4", "again"])
        #expect(e == ["b": "two", "c": "three", "d": "4", "a": "again"])
    }

    /// 200,000 keys: a scan per key (the code before) makes 2·10^10 string comparisons, minutes
    /// on this machine; one pass takes a fraction of a second, far inside the bound under load.
    @Test func twoHundredThousandKeysAreSetInOnePass() {
        let n = 200_000
        let start = Date()
        var e = Evidence()
        for i in 0..<n { e["container_\(i)"] = "Exited (0)" }
        for i in stride(from: 0, to: n, by: 2) { e["container_\(i)"] = "Restarting" }
        let elapsed = Date().timeIntervalSince(start)
        #expect(e.items.count == n)
        #expect(e.items.first?.key == "container_0" && e.items.last?.key == "container_\(n - 1)")
        #expect(e["container_\(n - 2)"] == "Restarting" && e["container_\(n - 1)"] == "Exited (0)")
        #expect(elapsed < 15, "\(elapsed) s")
    }
}
