import Foundation
import Testing
import TestSupport
@testable import DoctorCore
import SystemProbes
@testable import Runbook
import Basics

/// Hostile input, round 2: `..` was applied as text before the link in front of it was
/// followed, so a folder beside the link (not beside its target) was judged "ready".
@Suite("paths resolve as the kernel resolves them")
struct PathResolutionTests {
    @Test func dotDotAfterALinkLandsBesideTheTarget() throws {
        let tmp = TempDir("dots")
        _ = tmp.mkdir("x")                    // beside the link: what text would find
        _ = tmp.mkdir("deep/inner")           // the link's target; deep/x does not exist
        #expect(symlink(tmp.path + "/deep/inner", tmp.path + "/link") == 0)
        #expect(FileFacts.canonicalPath(tmp.path + "/link/../x") == tmp.path + "/deep/x")
        #expect(FileFacts.canonicalPath(tmp.path + "/link/./../x/../x") == tmp.path + "/deep/x")
        // Relative link targets resolve from the link's folder.
        #expect(symlink("deep/inner", tmp.path + "/rel") == 0)
        #expect(FileFacts.canonicalPath(tmp.path + "/rel/../x") == tmp.path + "/deep/x")
        // A loop stops after 40 links instead of spinning.
        #expect(symlink(tmp.path + "/b", tmp.path + "/a") == 0)
        #expect(symlink(tmp.path + "/a", tmp.path + "/b") == 0)
        _ = FileFacts.canonicalPath(tmp.path + "/a/x")

        let models = tmp.mkdir("models")
        tmp.write("repo/.env", "MODEL_FOLDER=\(models)\nHF_CACHE_FOLDER=\(tmp.path)/link/../x\nMODEL_NAME=Qwen/Qwen3-0.6B\n", mode: 0o600)
        let context = RunbookFacts(options: .init(root: tmp.path + "/repo"))
        let report = try #require(try runChecks(context, only: ["storage.folders"])["storage.folders"])
        #expect(report.result.status == .fail, "\(report.result.summary)")
        #expect(report.result.summary.contains("HF_CACHE_FOLDER \(tmp.path)/deep/x does not exist"), "\(report.result.summary)")
        #expect(report.result.evidence["HF_CACHE_FOLDER.as_written"] == "\(tmp.path)/link/../x")
    }
}
