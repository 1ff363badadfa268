import Foundation
import Basics

/// CRIU's version as `criu --version` prints it ("Version: 4.1.1", then "GitID: …" on builds
/// from git).
public struct CRIUVersion: Sendable, Comparable, CustomStringConvertible {
    /// major, minor, patch (missing parts are 0).
    public var parts: [Int]
    public var text: String
    public var gitID: String?

    public init(_ major: Int, _ minor: Int, _ patch: Int = 0) {
        parts = [major, minor, patch]; text = "\(major).\(minor)" + (patch == 0 ? "" : ".\(patch)")
    }

    /// The first release with the CUDA plugin (`plugins/cuda`, CRIU 4.0, September 2024).
    public static let cudaPlugin = CRIUVersion(4, 0)
    /// The first release seen to dump a TCP socket on kernel 6.16 or later, where the kernel no
    /// longer answers SO_PASSCRED for TCP: 4.1.1 fails, 4.2.1 dumps it (kernel 6.18.44, 2026-12-02).
    public static let tcpOnNewKernels = CRIUVersion(4, 2)

    public var description: String { text }
    public static func < (a: CRIUVersion, b: CRIUVersion) -> Bool { a.parts.lexicographicallyPrecedes(b.parts) }
    public static func == (a: CRIUVersion, b: CRIUVersion) -> Bool { a.parts == b.parts }

    /// The version from `criu --version`'s output; nil when no "Version: N.N" line is there.
    public static func parse(_ output: String) -> CRIUVersion? {
        var found: CRIUVersion?
        var gitID: String?
        for raw in output.split(separator: "\n") {
            let line = raw.trimmingSpaces(newlines: true)
            if line.hasPrefix("Version:") {
                let text = line.dropFirst("Version:".count).trimmingSpaces()
                let numbers = text.split(separator: ".", omittingEmptySubsequences: false).prefix(3)
                    .map { Int($0.prefix { $0.isNumber }) }
                guard numbers.count >= 2, let major = numbers[0], let minor = numbers[1] else { continue }
                var v = CRIUVersion(major, minor, numbers.count > 2 ? numbers[2] ?? 0 : 0)
                v.text = text
                found = v
            } else if line.hasPrefix("GitID:") {
                gitID = line.dropFirst("GitID:".count).trimmingSpaces()
            }
        }
        found?.gitID = gitID
        return found
    }

    public enum Outcome: Sendable {
        /// No `criu` on PATH.
        case missing
        /// It ran but said no version (or failed): what it printed, first line.
        case failed(String)
        case ok(CRIUVersion)
    }

    /// Runs `criu --version`; `command` is the CRIU to ask (CRIUCommand).
    public static func query(_ commands: CommandRunning, command: [String] = ["criu"], timeout: TimeInterval = 5) -> Outcome {
        switch commands.run(command + ["--version"], timeout: timeout) {
        case .failure(.notFound): return .missing
        case .failure(let e): return .failed("\(e)")
        case .success(let out):
            if out.timedOut { return .failed("criu --version did not answer within \(Int(timeout)) s") }
            if out.status == 0, let v = parse(out.stdout + "\n" + out.stderr) { return .ok(v) }
            let said = (out.stdout + "\n" + out.stderr).split(separator: "\n").first.map(String.init) ?? "nothing"
            return .failed("criu --version exited \(out.status) and printed no version (\(said))")
        }
    }
}
