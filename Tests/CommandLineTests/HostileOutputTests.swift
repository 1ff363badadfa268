import Foundation
import Testing
import TestSupport
@testable import SystemProbes
@testable import Runbook
@testable import Basics

/// Outputs the user names (`fleet timeline --svg`, `probe --out`) never replace anything but a
/// regular file or a new path: a device, a FIFO, a socket, a folder or a link is refused with
/// exit 2, one line naming the path and what is there, and it is left exactly as it was.
@Suite("outputs: never written over what is not ours")
struct HostileOutputTests {
    let pods = fixture("fleet/pods.json"), events = fixture("fleet/events.json")

    /// What lstat says about a path: its type bits, device numbers and inode, to prove it untouched.
    static func identity(_ path: String) -> [UInt64] {
        var st = stat()
        guard lstat(path, &st) == 0 else { return [] }
        return [UInt64(st.st_mode), UInt64(st.st_rdev), UInt64(st.st_ino), UInt64(st.st_size)]
    }

    func timeline(svg: String, json: Bool = false, cwd: String? = nil) -> CommandOutput {
        doctor(["fleet", "timeline", "--pods", pods, "--events", events, "--svg", svg] + (json ? ["--json"] : []), cwd: cwd)
    }

    func expectRefused(_ r: CommandOutput, _ path: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 2, "\(r.stdout) \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, "nothing printed before the refusal: \(r.stdout)", sourceLocation: sourceLocation)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("sllm-doctor: error: --svg \(path): \(what)"), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains("nothing was written"), "\(r.stderr)", sourceLocation: sourceLocation)
    }

    @Test func aFIFOStaysAFIFO() throws {
        let tmp = TempDir("out-fifo")
        let fifo = tmp.path + "/chart.svg"
        #expect(mkfifo(fifo, 0o644) == 0)
        let before = Self.identity(fifo)
        expectRefused(timeline(svg: fifo), fifo, "a FIFO (named pipe)")
        #expect(Self.identity(fifo) == before)
        // The folder holds nothing new: no temporary file left behind.
        #expect(FileFacts.names(in: tmp.path) == ["chart.svg"])
    }

    @Test(.enabled(if: geteuid() == 0, "mknod needs root"))
    func aCharacterDeviceAndALinkToOneAreLeftAlone() throws {
        let tmp = TempDir("out-dev")
        let null = tmp.path + "/null"   // the host's /dev/null's numbers, in a folder of ours
        #expect(mknod(null, S_IFCHR | 0o666, dev_t(0x103)) == 0)
        let before = Self.identity(null)
        expectRefused(timeline(svg: null), null, "a character device")
        #expect(Self.identity(null) == before)
        expectRefused(timeline(svg: null, json: true), null, "a character device")
        #expect(Self.identity(null) == before)

        let link = tmp.path + "/chart.svg"
        #expect(symlink(null, link) == 0)
        let linkBefore = Self.identity(link)
        expectRefused(timeline(svg: link), link, "a symbolic link to \(null)")
        #expect(Self.identity(link) == linkBefore && Self.identity(null) == before)
    }

    @Test func linksFoldersAndSocketsAreRefused() throws {
        let tmp = TempDir("out-kinds")
        let target = tmp.write("old.svg", "<svg>mine</svg>\n")
        let link = tmp.path + "/link.svg"
        #expect(symlink(target, link) == 0)
        expectRefused(timeline(svg: link), link, "a symbolic link to \(target)")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "<svg>mine</svg>\n")
        #expect(FileFacts.readLink(link) == target)

        let dangling = tmp.path + "/dangling.svg"
        #expect(symlink(tmp.path + "/nowhere.svg", dangling) == 0)
        expectRefused(timeline(svg: dangling), dangling, "a symbolic link to \(tmp.path)/nowhere.svg, which does not exist")
        #expect(!FileFacts.exists(tmp.path + "/nowhere.svg"))

        let folder = tmp.mkdir("charts")
        expectRefused(timeline(svg: folder), folder, "a folder")

        let socketPath = tmp.path + "/s.svg"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in socketPath.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        #expect(bound == 0)
        expectRefused(timeline(svg: socketPath), socketPath, "a socket")
    }

    @Test func aRegularFileIsReplacedAndANewPathCreated() throws {
        let tmp = TempDir("out-ok")
        let existing = tmp.write("chart.svg", "old\n", mode: 0o600)
        let r = timeline(svg: existing)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(try String(contentsOfFile: existing, encoding: .utf8).hasPrefix("<svg "))
        #expect(FileFacts.facts(existing).mode == 0o600)
        let fresh = tmp.path + "/new.svg"
        #expect(timeline(svg: fresh).status == 1)
        #expect(FileFacts.facts(fresh).mode == 0o644)
        #expect(FileFacts.names(in: tmp.path)?.sorted() == ["chart.svg", "new.svg"])
    }

    /// `--json` without `--svg` writes nothing, so a read-only working folder is no error; the
    /// table without `--svg` still comes out there, with a note that the chart was not written.
    @Test(.enabled(if: geteuid() == 0, "mounting a read-only tmpfs needs root"))
    func aReadOnlyWorkingFolder() throws {
        let tmp = TempDir("out-ro")
        let ro = tmp.mkdir("ro")
        #expect(sh("mount -t tmpfs -o ro,size=1m tmpfs '\(ro)'").0 == 0)
        defer { _ = sh("umount '\(ro)'") }
        let ready = ["fleet", "timeline", "--pods", fixture("fleet/pods-ready.json"), "--events", fixture("fleet/events-ready.json")]
        let json = doctor(ready + ["--json"], cwd: ro)
        #expect(json.status == 0, "\(json.stderr)")
        #expect(json.stderr.isEmpty)
        #expect(json.stdout.contains("\"svg\" : null"))
        let text = doctor(ready, cwd: ro)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.hasPrefix("Scale-up of "))
        #expect(!text.stdout.contains("Timeline chart:"))
        #expect(text.stderr.hasPrefix("sllm-doctor: note: chart not written: scale-up-timeline.svg: cannot write in its folder .: Read-only file system"), "\(text.stderr)")
        let named = doctor(ready + ["--svg", ro + "/x.svg"])
        #expect(named.status == 2 && named.stdout.isEmpty)
        #expect(named.stderr == "sllm-doctor: error: --svg \(ro)/x.svg: cannot write in its folder \(ro): Read-only file system")
    }

    @Test func theProbeRefusesItsOutputBeforeTouchingAServer() throws {
        let tmp = TempDir("out-probe")
        let fifo = tmp.path + "/first_token_latency.md"
        #expect(mkfifo(fifo, 0o644) == 0)
        // Nothing listens on the port: the refusal must come first, not a connection error.
        let r = doctor(["probe", "--url", "http://127.0.0.1:\(freePort())", "--out", fifo])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("sllm-doctor: error: --out \(fifo): a FIFO (named pipe)"), "\(r.stderr)")
        #expect(Self.identity(fifo).first.map { mode_t($0) & S_IFMT } == S_IFIFO)
    }
}
