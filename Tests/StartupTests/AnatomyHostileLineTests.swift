import Foundation
import Testing
@testable import Startup
@testable import SystemProbes
import TestSupport

/// Lines built to make a backtracking matcher quadratic, and stamps of every accepted form.
/// Before the hand scanner, `anatomy` took over 120 s on the first line here and 58 s (debug
/// build) on ten 16 KiB lines; `make perf` times them (scripts/perf-anatomy.sh). These tests
/// check the results, never the time.
@Suite("start-up anatomy: hostile lines and stamps")
struct AnatomyHostileLineTests {
    static let stamp = "2026-12-02T08:53:17.212Z O "

    @Test func aLineRepeatingEngineCoreIsReadInOnePass() throws {
        let tmp = TempDir()
        // 220 KB of "EngineCore" with no "started": not the engine's start.
        let bare = try LogFileReader.read(tmp.write("a.log", Self.stamp + String(repeating: "EngineCore", count: 22_000) + "\n"))
        #expect(bare.count == 1 && bare[0].text.utf8.count == 220_000)
        let none = StartupAnatomy.analyze(lines: bare, startedAt: nil, readyAt: nil)
        #expect(none.phases.isEmpty)
        // The same with "started" at its very end: found, once.
        let ended = try LogFileReader.read(tmp.write("b.log", Self.stamp + String(repeating: "EngineCore", count: 22_000) + " started\n"))
        let found = StartupAnatomy.analyze(lines: ended, startedAt: ended[0].arrival.addingTimeInterval(-1), readyAt: nil)
        #expect(found.phases.map(\.name) == ["interpreter_and_imports", "api_server_to_engine"])
    }

    @Test func tenLinesAtBenchsPerLineCap() throws {
        let tmp = TempDir()
        let line = Self.stamp + String(String(repeating: "EngineCore", count: 1700).prefix(TimedLine.maxBytes - Self.stamp.utf8.count))
        let l = try LogFileReader.read(tmp.write("c.log", String(repeating: line + "\n", count: 10)))
        #expect(l.count == 10)
        let a = StartupAnatomy.analyze(lines: l, startedAt: nil, readyAt: l.last?.arrival.addingTimeInterval(2))
        #expect(a.phases.map(\.name) == [StartupAnatomy.unexplained])
        #expect(a.phaseDurations[StartupAnatomy.unexplained] == 2)
    }

    /// A number scan is bounded: a weights line whose "seconds" run on for 100 KB is no figure.
    @Test func anEndlessNumberIsNoFigure() {
        let s = LogLineScanner("Loading weights took " + String(repeating: "9", count: 100_000) + " seconds")
        #expect(s.number(after: "Loading weights took ", unit: "s") == nil)
        #expect(LogLineScanner("Loading weights took 0.54 seconds").number(after: "Loading weights took ", unit: "s") == 0.54)
        #expect(LogLineScanner("Loading weights took 0.54").number(after: "Loading weights took ", unit: "s") == nil)
    }

    /// Every stamp form the reader accepts, read by hand: bench's milliseconds, docker's
    /// nanoseconds, an offset, vLLM's whole seconds, and CRLF line ends.
    @Test func stampsOfEveryForm() throws {
        let text = "2026-12-02T08:53:17.212Z O a\r\n"
            + "2026-12-02T08:53:17.212345678Z b\n"
            + "2026-12-02T09:53:18+01:00 E c\n"
            + "no stamp: takes the previous line's\n"
            + "(EngineCore pid=1) INFO 12-02 08:53:19 [x.py:1] d\n"
            + "2026-02-31T00:00:00Z e\n"
        let s = LogFileReader.parse(text, year: 2026)
        let base = AnatomyGoldenTests.date("2026-12-02T08:53:17.212Z").timeIntervalSince1970
        #expect(s.lines.map(\.text) == ["a", "b", "c", "no stamp: takes the previous line's", "(EngineCore pid=1) INFO 12-02 08:53:19 [x.py:1] d",
                                        "2026-02-31T00:00:00Z e"])
        #expect(s.lines.map(\.stream) == [.stdout, .stdout, .stderr, .stdout, .stdout, .stdout])
        let t = s.lines.map { $0.arrival.timeIntervalSince1970 - base }
        #expect(abs(t[0]) < 1e-6 && abs(t[1] - 0.000345678) < 1e-6 && abs(t[2] - 0.788) < 1e-6 && abs(t[3] - 0.788) < 1e-6)
        #expect(abs(t[4] - 1.788) < 1e-6)
        // No 31 February: not a stamp, so the previous line's time.
        #expect(abs(t[5] - 1.788) < 1e-6)
        #expect(!s.wholeSecondsOnly)
        #expect(LogFileReader.parse("INFO 12-02 08:53:19 [x.py:1] d\n", year: 2026).wholeSecondsOnly)
        // vLLM's own stamp for 31 February is no stamp either (Calendar rolled it to 3 March).
        let feb = LogFileReader.parse("INFO 02-28 10:00:00 a\nINFO 02-31 10:00:05 b\n", year: 2026).lines
        #expect(feb.count == 2 && feb[1].arrival == feb[0].arrival)
    }
}
