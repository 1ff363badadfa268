import Foundation
import Testing
import TestSupport
@testable import DoctorCore
@testable import Runbook
import Basics
import Yams

/// SafeYAML resolves plain scalars by hand (no ICU regex on check's path); the answers must be
/// Yams' default resolver's, on every text made of the characters its rules look at.
@Suite("implicit YAML tags match Yams' resolver")
struct ImplicitTagTests {
    static let interesting: Set<String> = ["tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:null"]

    func yams(_ s: String) -> String {
        let tag = Resolver.default.resolveTag(of: Node.scalar(.init(s, Tag(.implicit), .plain))).rawValue
        return Self.interesting.contains(tag) ? tag : "tag:yaml.org,2002:str"
    }

    @Test func everyAssembledScalarGetsYamsTag() {
        let pieces = ["0", "1", "7", "8", "9", "5", "_", ".", ":", "-", "+", "e", "E", "x", "b", "o", "a", "F",
                      "inf", "Inf", "nan", "NaN", "~", "null", "true", "yes", "Off", "59", "60", "0x", "0b", "0o", " "]
        var rng = SplitMix(state: 1)
        var checked = 0
        for _ in 0..<40_000 {
            let s = (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            #expect(ImplicitTag.resolve(s).rawValue == yams(s), "\(s.debugDescription)")
            checked += 1
        }
        for s in ["", "~", "NULL", "1_000", "0o17", "017", "08", "0x_1F", "-0b101", "190:20:30", "1:60", "1:5:9", "+1.5e10", "1.", ".5",
                  ".5e+3", ".5e3", "-.inf", "+.INF", ".NaN", "-.nan", "6.8523015e+5", "1:20.5", "1:2:3.", "1e5", "1E-5", "12_3.4_5",
                  "yes", "Yes", "yEs", "On", "1.2.3", "0.0.0.0", "3.8", "8001:8001", "127.0.0.1:8001:8001"] {
            #expect(ImplicitTag.resolve(s).rawValue == yams(s), "\(s.debugDescription)")
        }
        #expect(checked == 40_000)
        // And the answers are not all one kind.
        #expect(ImplicitTag.resolve("017") == .int && ImplicitTag.resolve("1.5") == .float && ImplicitTag.resolve("Off") == .bool
                && ImplicitTag.resolve("~") == .null && ImplicitTag.resolve("8001:8001") == .str && ImplicitTag.resolve("190:20:30") == .int)
    }
}
