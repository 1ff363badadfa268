import Foundation
import Testing
import TestSupport
@testable import Bench
@testable import ServerClient
@testable import SystemProbes
@testable import Basics

/// Hostile input, round 2: a server that streams forever kept bench in "completing" until it
/// was killed, and one that printed 16 MiB lines put 15-67 MB into the results JSON and 65 MB
/// onto the terminal. Every exchange has a budget; every stored line a size.
@Suite("bench: bounded streams and logs", .serialized)
struct BoundedBenchTests {
    @Test func aStreamPastMaxTokensIsCutOffByBench() throws {
        let tmp = TempDir("forever")
        let root = benchRepo(tmp)
        let events = ServerEvents(path: tmp.path + "/ev")
        let plan = fakePlan(tmp, port: freePort(), events: events.path, extra: ["--stream-forever", "--token-delay", "0.001"])
        let started = Date()
        let r = doctor(["bench", "--root", root, "--plan", plan, "--runs", "1", "--ignore", "storage", "--json"], timeout: 120)
        #expect(Date().timeIntervalSince(started) < 60, "bench waited on the endless stream")
        #expect(r.status == 1, "\(r.stderr)")
        #expect(events.waitFor("client_hung_up", timeout: 5) != nil, "bench never hung up")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let run = try #require(((obj["variants"] as? [[String: Any]])?.first?["runs"] as? [[String: Any]])?.first)
        #expect(run["outcome"] as? String == "cut-off")
        let diagnosis = try #require(run["diagnosis"] as? String)
        #expect(diagnosis.contains("cut by bench: more than 68 token events for max_tokens 64"), "\(diagnosis)")
    }

    @Test func hugeLinesAreCappedInTheTerminalTheJSONAndTheLogs() throws {
        let tmp = TempDir("huge")
        let root = benchRepo(tmp)
        let plan = fakePlan(tmp, port: freePort(), events: tmp.path + "/ev", extra: ["--crash-after", "0.2", "--huge-lines", "3"])
        let results = tmp.mkdir("results")
        let r = doctor(["bench", "--root", root, "--plan", plan, "--runs", "1", "--ignore", "storage", "--results-dir", results], timeout: 120)
        #expect(r.status == 1)
        #expect(r.stdout.utf8.count + r.stderr.utf8.count < 64 << 10, "terminal got \(r.stdout.utf8.count + r.stderr.utf8.count) bytes")
        #expect(r.stderr.contains("bytes cut)") || r.stdout.contains("bytes cut)"))
        let files = everyFile(under: results)
        #expect(!files.isEmpty)
        for file in files {
            let size = FileFacts.facts(file).size
            #expect(size < 1 << 20, "\(file) is \(size) bytes")
        }
        let json = try #require(files.first { $0.hasSuffix(".json") })
        #expect(try String(contentsOfFile: json, encoding: .utf8).contains("(\((16 << 20) - TimedLine.maxBytes) bytes cut)"))
    }

    @Test func theReaderKeepsTheHeadOfALongLineAndCountsTheRest() throws {
        let child = try ChildProcess(["/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' y; echo; echo next"], environment: ProcessInfo.processInfo.environment)
        _ = child.wait(timeout: 10)
        child.drainOutput()
        let lines = child.output.map(\.text)
        #expect(lines.count == 2)
        #expect(lines[0] == String(repeating: "y", count: TimedLine.maxBytes) + " … (\(100000 - TimedLine.maxBytes) bytes cut)")
        #expect(lines[1] == "next")
    }
}

@Suite("hostile input: plan commands")
struct PlanCommandTests {
    @Test func aShellLineRunsAsWrittenAndASingleCommandIsExeced() {
        #expect(BenchPlan.shellArgv("cd /tmp && python3 serve.py") == ["/bin/sh", "-c", "cd /tmp && python3 serve.py"])
        #expect(BenchPlan.shellArgv("python3 serve.py --port 1") == ["/bin/sh", "-c", "exec python3 serve.py --port 1"])
    }

    @Test func aCdLineStartsTheServer() throws {
        let tmp = TempDir("cd")
        let root = benchRepo(tmp)
        let port = freePort()
        let plan = tmp.write("plan.yaml", """
        variants:
          - name: cdline
            port: \(port)
            command: "cd \(tmp.path) && python3 \(fakeServer) --port \(port) --tokens 4 --events \(tmp.path)/ev"

        """)
        let r = doctor(["bench", "--root", root, "--plan", plan, "--runs", "1", "--ignore", "storage"], timeout: 60)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(!r.stderr.contains("not found"))
    }

    @Test(arguments: ["[]", "''"])
    func anEmptyCommandSaysEmpty(command: String) {
        let tmp = TempDir("empty")
        let root = benchRepo(tmp)
        let plan = tmp.write("plan.yaml", "variants:\n  - name: a\n    port: 18123\n    command: \(command)\n")
        let r = doctor(["bench", "--root", root, "--plan", plan, "--ignore", "storage"], timeout: 20)
        #expect(r.status == 2)
        #expect(r.stderr.contains("command is empty: expected the program and its arguments"), "\(r.stderr)")
    }
}
