import Foundation
import Basics

/// What `criu check` said about the kernel. It prints "Error (file:line): …" and
/// "Warn  (file:line): …" lines, then one verdict: "Looks good.", "Looks good but some kernel
/// features are missing …" (optional features only), or "Does not look good." (criu/cr-check.c).
/// A fault before the checks (not root, an unknown vDSO) leaves only its errors.
public struct CRIUCheckOutput: Sendable, Equatable {
    public enum Verdict: String, Sendable, Equatable {
        case good, missingFeatures, bad, none
    }
    public var verdict: Verdict
    /// Each error's text, with its place in CRIU's source ("criu/vdso.c:381: vdso: …").
    public var errors: [String]
    public var warnings: [String]

    /// Reads the output line by line, once.
    public static func parse(_ text: String) -> CRIUCheckOutput {
        var out = CRIUCheckOutput(verdict: .none, errors: [], warnings: [])
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingSpaces(newlines: true)
            if line.hasPrefix("Error") || line.hasPrefix("Warn") {
                let message = Self.message(line)
                if line.hasPrefix("Error") { out.errors.append(message) } else { out.warnings.append(message) }
            } else if line == "Looks good." {
                out.verdict = .good
            } else if line.hasPrefix("Looks good but some kernel features are missing") {
                out.verdict = .missingFeatures
            } else if line.hasPrefix("Does not look good") {
                out.verdict = .bad
            }
        }
        return out
    }

    /// "Error (criu/vdso.c:381): vdso: X" → "criu/vdso.c:381: vdso: X".
    static func message(_ line: String) -> String {
        guard let open = line.firstIndex(of: "("), let close = line[open...].firstIndex(of: ")") else {
            return String(line.drop { $0 != " " }.trimmingSpaces())
        }
        let place = line[line.index(after: open)..<close]
        var rest = line[line.index(after: close)...]
        if rest.first == ":" { rest = rest.dropFirst() }
        return "\(place): \(rest.trimmingSpaces())"
    }

    public enum Outcome: Sendable {
        case missing
        case failed(String)
        /// Its exit status and what it said.
        case ran(status: Int32, output: CRIUCheckOutput)
    }

    /// Runs `criu check` (it probes the kernel: a second or so); `command` is the CRIU to ask.
    public static func query(_ commands: CommandRunning, command: [String] = ["criu"], timeout: TimeInterval = 5) -> Outcome {
        switch commands.run(command + ["check"], timeout: timeout) {
        case .failure(.notFound): return .missing
        case .failure(let e): return .failed("\(e)")
        case .success(let out):
            if out.timedOut { return .failed("criu check did not answer within \(Int(timeout)) s") }
            return .ran(status: out.status, output: parse(out.stdout + "\n" + out.stderr))
        }
    }
}
