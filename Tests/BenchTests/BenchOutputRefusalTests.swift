import Foundation
import Testing
import TestSupport
@testable import Bench
import DoctorCore
import SystemProbes
import Runbook
import Basics

/// bench's files follow `OutputFile`'s rule: a FIFO or a link where a result goes is refused
/// before the runs (the CLI exits 2), and a README that is a link is left as it is and named.
@Suite("bench outputs: never written over what is not ours", .serialized)
struct BenchOutputRefusalTests {
    @Test func aFIFOWhereAResultGoesIsRefusedBeforeTheRuns() throws {
        let tmp = TempDir("bench-fifo")
        let paths = BenchPaths(resultsDir: tmp.mkdir("results"), mode: .restart, stamp: "20261202_000000", readme: tmp.path + "/README.md")
        #expect(BenchOutputs.outputProblem(paths, explore: false) == nil)
        #expect(mkfifo(paths.svg, 0o644) == 0)
        #expect(BenchOutputs.outputProblem(paths, explore: false)?.description.hasPrefix("\(paths.svg): a FIFO (named pipe): only a new file or a regular file is replaced") == true)
        #expect(symlink("/dev/null", paths.exploreSVG) == 0)
        #expect(BenchOutputs.outputProblem(paths, explore: true)?.path == paths.svg)
        unlink(paths.svg)
        #expect(BenchOutputs.outputProblem(paths, explore: false) == nil)
        #expect(BenchOutputs.outputProblem(paths, explore: true)?.description.hasPrefix("\(paths.exploreSVG): a symbolic link to /dev/null") == true)
    }

    @Test func aReadmeThatIsALinkIsLeftAsItIs() throws {
        let tmp = TempDir("bench-link")
        let mine = tmp.write("elsewhere/README.md", "someone else's\n")
        _ = tmp.mkdir("benchmarks")
        let readme = tmp.path + "/benchmarks/README.md"
        #expect(symlink(mine, readme) == 0)
        let paths = BenchPaths(resultsDir: tmp.path + "/benchmarks/results", mode: .restart, stamp: "20261202_000001", readme: readme)
        var plan = BenchPlan(variants: [fakeVariant("baseline", port: freePort(), events: tmp.path + "/ev", extra: ["--ready-delay", "0.1", "--tokens", "2"])])
        plan.runs = 1
        plan.model = "fake/model"
        let results = BenchSession(plan: plan, env: BenchEnvironment(logDir: paths.logs),
                                   host: BenchHost(timestamp: Date(), gitSHA: "-", host: "h", gpu: "none")).run { _ in }
        #expect(results.allOK)
        let written = try BenchOutputs.write(results, to: paths, redact: Redactor(secrets: []))
        guard case .refused(let why) = written.readme else { Issue.record("README: \(written.readme)"); return }
        #expect(why.description.hasPrefix("\(readme): a symbolic link to \(mine)"))
        #expect(FileFacts.readLink(readme) == mine)
        #expect(try String(contentsOfFile: mine, encoding: .utf8) == "someone else's\n")
        #expect(FileFacts.isFile(paths.json) && FileFacts.isFile(paths.svg))
        #expect(BenchOutputs.terminalReport(results, paths: paths, readme: written.readme).contains("table:   not updated (\(readme): a symbolic link to \(mine)"))
    }
}
