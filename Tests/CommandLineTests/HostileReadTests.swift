import Foundation
import Testing
import TestSupport
import SystemProbes
import Basics

/// Hostile input, round 2: every file the tool reads is read with a bound. Each case here hung,
/// grew without limit or was misread as "absent" before `BoundedRead`.
@Suite("hostile input: bounded reads")
struct HostileReadTests {
    @Test func aFIFOAsEnvIsNamedNotWaitedOn() {
        let tmp = TempDir("fifo")
        #expect(mkfifo(tmp.path + "/.env", 0o644) == 0)
        let started = Date()
        // --only a check that never asks for .env: the redactor still reads it for secrets.
        let out = doctor(["check", "--root", tmp.path, "--only", "storage.azure-temp", "--timeout", "1"], timeout: 20)
        #expect(Date().timeIntervalSince(started) < 15, "check waited on the FIFO")
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        let full = doctor(["check", "--root", tmp.path, "--only", "env"], timeout: 20)
        #expect(full.status == 1)
        #expect(full.stdout.contains("env.file: cannot read \(tmp.path)/.env: a FIFO (named pipe), not a regular file"), "\(full.stdout)")
    }

    @Test func aDeviceAsEnvIsRefusedBeforeAnyByteIsRead() {
        let tmp = TempDir("zero")
        #expect(symlink("/dev/zero", tmp.path + "/.env") == 0)
        let out = doctor(["check", "--root", tmp.path, "--only", "env"], timeout: 20)
        #expect(out.status == 1)
        #expect(out.stdout.contains("a character device, not a regular file"), "\(out.stdout)")
    }

    @Test(arguments: ["dangling", "loop"])
    func aBrokenEnvLinkIsNamedNeverAbsent(kind: String) {
        let tmp = TempDir("link")
        let env = tmp.path + "/.env"
        if kind == "dangling" { #expect(symlink(tmp.path + "/gone.env", env) == 0) }
        else { #expect(symlink(tmp.path + "/b", env) == 0); #expect(symlink(env, tmp.path + "/b") == 0) }
        let out = doctor(["check", "--root", tmp.path, "--only", "env"], timeout: 20)
        #expect(out.status == 1, "judged with the runbook's defaults instead: \(out.stdout)")
        #expect(!out.stdout.contains("runbook's defaults"))
        let reason = kind == "dangling" ? "a symbolic link to \(tmp.path)/gone.env, which does not exist"
                                        : "a loop of symbolic links"
        #expect(out.stdout.contains(reason), "\(out.stdout)")
        let named = doctor(["check", "--env-file", env], timeout: 20)
        #expect(named.status == 2)
        #expect(named.stderr.contains("--env-file \(env): \(reason)"), "\(named.stderr)")
    }

    @Test func aHugeEnvIsRefusedBySizeNotRead() throws {
        let tmp = TempDir("huge")
        let env = tmp.path + "/.env"
        #expect(FileManager.default.createFile(atPath: env, contents: Data("A=1\n".utf8)))
        #expect(truncate(env, 3 << 30) == 0)   // sparse: 3 GiB claimed, nothing on disk
        let out = doctor(["check", "--root", tmp.path, "--only", "env.file"], timeout: 20)
        #expect(out.status == 1)
        #expect(out.stdout.contains("3221225472 bytes, over the 1048576-byte limit"), "\(out.stdout)")
    }

    @Test func theReaderRefusesEachKindWithItsName() throws {
        let tmp = TempDir("kinds")
        #expect(throws: InputReadError.notRegularFile(path: tmp.path, kind: "a directory")) { try BoundedRead.bytes(tmp.path) }
        #expect(throws: InputReadError.missing(path: tmp.path + "/none")) { try BoundedRead.bytes(tmp.path + "/none") }
        let big = tmp.bytes("big", count: 5000)
        #expect(throws: InputReadError.tooLarge(path: big, bytes: 5000, limit: 4096)) { try BoundedRead.bytes(big, limit: 4096) }
        #expect(try BoundedRead.bytes(big, limit: 5000).count == 5000)
        // procfs says size 0 and holds text: read up to the limit anyway.
        #expect(try BoundedRead.text("/proc/self/status").contains("Pid:"))
        let bad = tmp.path + "/bad.yml"
        FileManager.default.createFile(atPath: bad, contents: Data([0x61, 0x3a, 0x20, 0xff, 0x0a]))
        #expect(throws: InputReadError.invalidUTF8(path: bad, byteOffset: 3)) { try BoundedRead.strictText(bad) }
    }

    @Test func invalidUTF8InComposeSaysSoNotReadable() {
        let tmp = TempDir("utf8")
        let root = makeRunbook(tmp)
        try? FileManager.default.createDirectory(atPath: root + "/vllm_bridge", withIntermediateDirectories: true)
        let compose = root + "/vllm_bridge/docker-compose.yml"
        FileManager.default.createFile(atPath: compose, contents: Data("services:\n  a:\n    image: \u{0}".utf8) + Data([0xC3, 0x28]))
        let out = doctor(["check", "--root", root, "--only", "offline.compose"], timeout: 20)
        #expect(out.stdout.contains("not UTF-8 text (invalid bytes at offset"), "\(out.stdout)")
        #expect(!out.stdout.contains("readable"))
    }

    @Test func anatomyOfAFIFOIsNamedAsOne() {
        let tmp = TempDir("anat")
        #expect(mkfifo(tmp.path + "/log", 0o644) == 0)
        let out = doctor(["anatomy", tmp.path + "/log"], timeout: 20)
        #expect(out.status == 2)
        #expect(out.stderr.contains("a FIFO (named pipe), not a regular file"), "\(out.stderr)")
        #expect(!out.stderr.contains("permission"))
    }

    @Test func aFIFOAsMountinfoIsRefusedBeforeLibmountOpensIt() {
        let tmp = TempDir("mi")
        #expect(mkfifo(tmp.path + "/mountinfo", 0o644) == 0)
        let out = doctor(["check", "--root", tmp.path, "--mountinfo", tmp.path + "/mountinfo"], timeout: 20)
        #expect(out.status == 2)
        #expect(out.stderr.contains("--mountinfo \(tmp.path)/mountinfo: a FIFO (named pipe), not a regular file"), "\(out.stderr)")
    }
}
