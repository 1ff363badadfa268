import Foundation
import Testing
@testable import DoctorCore
@testable import Runbook
import SystemProbes
@testable import Runbook
import Basics

@Suite("per-run memo (checks on two workers)")
struct MemoTests {
    /// One answer is computed once however many checks ask at the same time.
    @Test func oneComputationForManyAskers() {
        let memo = Memo()
        final class Count: @unchecked Sendable { let lock = PosixLock(); var n = 0 }
        let count = Count()
        let done = (0..<8).map { _ in Latch() }
        for d in done {
            #expect(DetachedThread.start {
                let v: Int = memo.value("answer") { count.lock.withLock { count.n += 1 }; usleep(20_000); return 42 }
                if v == 42 { d.signal() }
            })
        }
        for d in done { #expect(d.wait(timeout: 10)) }
        #expect(count.lock.withLock { count.n } == 1)
        // A stored nil is an answer too (it is not computed again).
        var asked = 0
        let a: String? = memo.value("nothing") { asked += 1; return nil }
        let b: String? = memo.value("nothing") { asked += 1; return "late" }
        #expect(a == nil && b == nil && asked == 1)
    }

    /// Different answers are computed side by side: the mount table's parse does not wait for
    /// the .env's. Here answer A can only finish once B has started, which a single lock held
    /// across every computation would never allow.
    @Test func differentAnswersDoNotWaitForEachOther() {
        let memo = Memo()
        let bStarted = Latch(), aDone = Latch()
        #expect(DetachedThread.start {
            let a: Bool = memo.value("A") { bStarted.wait(timeout: 5) }
            if a { aDone.signal() }
        })
        usleep(20_000)
        let b: Bool = memo.value("B") { bStarted.signal(); return true }
        #expect(b)
        #expect(aDone.wait(timeout: 5))
    }
}
