import Foundation
import Testing
import TestSupport
@testable import SystemProbes
import Basics

/// `OutputFile`, the one rule for what the tool writes, on real files, FIFOs, devices and links.
@Suite("OutputFile: a new path or a regular file, nothing else")
struct OutputFileTests {
    static func type(_ path: String) -> mode_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : 0
    }

    @Test func writesNewFilesAndReplacesRegularOnes() throws {
        let tmp = TempDir("of")
        try OutputFile.write(tmp.path + "/a.json", text: "{}\n")
        #expect(try String(contentsOfFile: tmp.path + "/a.json", encoding: .utf8) == "{}\n")
        let secret = tmp.write("b.env", "HF_TOKEN=x\n", mode: 0o600)
        try OutputFile.write(secret, text: "HF_TOKEN=y\n")
        #expect(FileFacts.facts(secret).mode == 0o600)
        #expect(try String(contentsOfFile: secret, encoding: .utf8) == "HF_TOKEN=y\n")
        #expect(FileFacts.names(in: tmp.path)?.sorted() == ["a.json", "b.env"])
        // A bare name is written in the working folder.
        let cwd = FileManager.default.currentDirectoryPath
        #expect(FileManager.default.changeCurrentDirectoryPath(tmp.path))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(cwd) }
        try OutputFile.write("bare.txt", text: "x")
        #expect(FileFacts.isFile(tmp.path + "/bare.txt"))
    }

    @Test func refusesWhatIsNotARegularFileAndLeavesItAlone() throws {
        let tmp = TempDir("of-no")
        let fifo = tmp.path + "/fifo"
        #expect(mkfifo(fifo, 0o644) == 0)
        let target = tmp.write("target", "keep\n")
        let link = tmp.path + "/link"
        #expect(symlink(target, link) == 0)
        let folder = tmp.mkdir("dir")
        for (path, what) in [(fifo, "a FIFO (named pipe)"), (link, "a symbolic link to \(target)"), (folder, "a folder")] {
            #expect(throws: OutputFileError.self) { try OutputFile.write(path, text: "new") }
            #expect(OutputFile.problem(path)?.description.hasPrefix("\(path): \(what): only a new file or a regular file is replaced, nothing was written") == true,
                    "\(String(describing: OutputFile.problem(path)))")
            #expect(throws: OutputFileError.self) { _ = try OutputFile.openForWriting(path) }
        }
        #expect(Self.type(fifo) == S_IFIFO && Self.type(link) == S_IFLNK && Self.type(folder) == S_IFDIR)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep\n")
        #expect(OutputFile.problem(tmp.path + "/no/such/x")?.description == "\(tmp.path)/no/such/x: cannot write: its folder \(tmp.path)/no/such does not exist")
        #expect(OutputFile.problem(target + "/x")?.description == "\(target)/x: cannot write: \(target) is not a folder")
        #expect(FileFacts.names(in: tmp.path)?.sorted() == ["dir", "fifo", "link", "target"])
    }

    @Test(.enabled(if: geteuid() == 0, "mknod needs root"))
    func aDeviceIsNeverEmptiedNorReplaced() throws {
        let tmp = TempDir("of-dev")
        let zero = tmp.path + "/zero"
        #expect(mknod(zero, S_IFCHR | 0o666, dev_t(0x105)) == 0)   // 1:5, /dev/zero
        #expect(OutputFile.problem(zero)?.reason.hasPrefix("a character device") == true)
        #expect(throws: OutputFileError.self) { _ = try OutputFile.openForWriting(zero) }
        #expect(throws: OutputFileError.self) { try OutputFile.write(zero, text: "x") }
        #expect(Self.type(zero) == S_IFCHR)
    }

    /// Written in place (logs, model shards): a regular file is emptied first, a FIFO without a
    /// reader is refused at once instead of hanging the open.
    @Test func openForWriting() throws {
        let tmp = TempDir("of-open")
        let file = tmp.write("log", "old old old\n")
        let fd = try OutputFile.openForWriting(file)
        #expect(write(fd, "new\n", 4) == 4)
        close(fd)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "new\n")
        let fresh = try OutputFile.openForWriting(tmp.path + "/fresh")
        close(fresh)
        #expect(FileFacts.facts(tmp.path + "/fresh").mode == 0o644)
    }

    /// `fix`'s edits: a `.env` that is a link is refused, not turned into a plain file; the
    /// backup of a private file stays private.
    @Test func atomicEditsFollowTheSameRule() throws {
        let tmp = TempDir("of-edit")
        let real = tmp.write("real.env", "HF_HUB_OFFLINE=1\n", mode: 0o600)
        let link = tmp.path + "/.env"
        #expect(symlink(real, link) == 0)
        #expect(throws: AtomicFileError.self) { try AtomicFile.replace(link, with: Data("HF_HUB_OFFLINE=0\n".utf8)) }
        #expect(FileFacts.readLink(link) == real)
        #expect(try String(contentsOfFile: real, encoding: .utf8) == "HF_HUB_OFFLINE=1\n")
        #expect(!FileFacts.exists(link + ".bak"))

        try AtomicFile.replace(real, with: Data("HF_HUB_OFFLINE=0\n".utf8))
        #expect(try String(contentsOfFile: real + ".bak", encoding: .utf8) == "HF_HUB_OFFLINE=1\n")
        #expect(FileFacts.facts(real + ".bak").mode == 0o600)
        #expect(try String(contentsOfFile: real, encoding: .utf8) == "HF_HUB_OFFLINE=0\n")
    }
}
