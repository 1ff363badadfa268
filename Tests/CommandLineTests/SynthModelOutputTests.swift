import Foundation
import Testing
import TestSupport
@testable import SystemProbes
@testable import Basics

/// `synth-model` checks every file it would write (the snapshot's files, refs/main, the store
/// layout) before the first byte: a FIFO or a device at any of them is refused with exit 2
/// and "nothing was written" is true. It once wrote the whole snapshot, then refused at
/// refs/main (or at the store's tensor.data_0) with that same message.
@Suite("synth-model: every output checked before any is written")
struct SynthModelOutputTests {
    /// Regular files under `root`, as paths relative to it.
    static func regularFiles(_ root: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            var st = stat()
            if lstat(root + "/" + relative, &st) == 0, st.st_mode & S_IFMT == S_IFREG { found.append(relative) }
        }
        return found.sorted()
    }

    /// One clean run, to learn every file a run writes (relative to HF_HOME and the store).
    func reference(_ tmp: TempDir) throws -> (cache: [String], store: [String]) {
        let r = doctor(["synth-model", "--shape", "tiny", "--hf-home", tmp.path + "/ref-h", "--repo", "o/n", "--store-dir", tmp.path + "/ref-st"])
        #expect(r.status == 0, "\(r.stderr)")
        let cache = Self.regularFiles(tmp.path + "/ref-h"), store = Self.regularFiles(tmp.path + "/ref-st")
        #expect(cache.contains("hub/models--o--n/refs/main") && cache.contains { $0.hasSuffix("/model.safetensors") })
        #expect(store.contains("vllm/o/n/rank_0/tensor.data_0"))
        return (cache, store)
    }

    func expectNothingWritten(_ r: CommandOutput, at path: String, _ what: String, _ roots: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 2, "\(r.stdout) \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr == "sllm-doctor: error: \(path): \(what): only a new file or a regular file is replaced, nothing was written (name a new file)", sourceLocation: sourceLocation)
        for root in roots { #expect(Self.regularFiles(root).isEmpty, "\(root): \(Self.regularFiles(root))", sourceLocation: sourceLocation) }
    }

    @Test func aFIFOAtAnyOutputStopsTheRunBeforeItsFirstByte() throws {
        let tmp = TempDir("synth-outputs")
        let (cache, store) = try reference(tmp)
        for (n, file) in (cache.map { ("h", $0) } + store.map { ("st", $0) }).enumerated() {
            let h = tmp.path + "/h\(n)", st = tmp.path + "/st\(n)"
            let fifo = (file.0 == "h" ? h : st) + "/" + file.1
            try FileManager.default.createDirectory(atPath: FileFacts.parent(of: fifo), withIntermediateDirectories: true)
            #expect(mkfifo(fifo, 0o644) == 0)
            let r = doctor(["synth-model", "--shape", "tiny", "--hf-home", h, "--repo", "o/n", "--store-dir", st])
            expectNothingWritten(r, at: fifo, "a FIFO (named pipe)", [h, st])
            var s = stat()
            #expect(lstat(fifo, &s) == 0 && s.st_mode & S_IFMT == S_IFIFO)
        }
    }

    @Test(.enabled(if: geteuid() == 0, "mknod needs root"))
    func aDeviceWhereTheStoreGoesIsLeftAlone() throws {
        let tmp = TempDir("synth-device")
        let device = tmp.path + "/st/vllm/o/n/rank_0/tensor.data_0"
        try FileManager.default.createDirectory(atPath: FileFacts.parent(of: device), withIntermediateDirectories: true)
        #expect(mknod(device, S_IFCHR | 0o666, dev_t(0x103)) == 0)
        let r = doctor(["synth-model", "--shape", "tiny", "--hf-home", tmp.path + "/h", "--repo", "o/n", "--store-dir", tmp.path + "/st"])
        expectNothingWritten(r, at: device, "a character device", [tmp.path + "/h", tmp.path + "/st"])
    }

    /// A file where a folder of the run must go (the snapshots folder) is named before any write.
    @Test func aFileWhereAFolderGoesIsNamedFirst() throws {
        let tmp = TempDir("synth-folder")
        let blocker = tmp.write("h/hub/models--o--n/snapshots", "not a folder\n")
        let r = doctor(["synth-model", "--shape", "tiny", "--hf-home", tmp.path + "/h", "--repo", "o/n"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("sllm-doctor: error: \(blocker)/"), "\(r.stderr)")
        #expect(r.stderr.contains("\(blocker) is not a folder, nothing was written"), "\(r.stderr)")
        #expect(Self.regularFiles(tmp.path + "/h") == ["hub/models--o--n/snapshots"])
    }
}
