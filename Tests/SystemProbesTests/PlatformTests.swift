import Foundation
import Testing
import TestSupport
@testable import DoctorCore
@testable import SystemProbes
@testable import Runbook
@testable import Basics

@Suite("libmount: mount tables")
struct MountTableTests {
    @Test func capturedFromThisMachineResolvesRoot() throws {
        let table = try MountTable(path: fixture("mountinfo-this-host.txt"))
        #expect(table.rootMount?.source == "/dev/vda")
        #expect(table.rootMount?.devno == "254:0")
        let m = try #require(table.mount(containing: "/nvme/sllm-models/does/not/exist"))
        #expect(m.target == "/")
        #expect(m.source == "/dev/vda")
        #expect(table.mount(containing: "/dev/shm/x")?.fstype == "tmpfs")
    }

    @Test func azureNVMeMountedResolvesToTheNVMe() throws {
        let table = try MountTable(path: fixture("mountinfo-azure-nvme.txt"))
        let m = try #require(table.mount(containing: "/nvme/hf-cache/hub"))
        #expect(m.source == "/dev/nvme0n1")
        #expect(m.target == "/nvme")
        #expect(m.fstype == "ext4")
        #expect(m.devno == "259:0")
        let p = Placement(path: "/nvme/hf-cache", mount: m, rootMount: table.rootMount)
        #expect(p.verdict(expectedDevice: nil, expectedPrefix: "/dev/nvme") == .onExpectedDevice)
    }

    @Test func plainFolderOnDevRootIsTheHardStop() throws {
        let table = try MountTable(path: fixture("mountinfo-azure-plain-folder.txt"))
        let m = try #require(table.mount(containing: "/nvme/sllm-models"))
        #expect(m.source == "/dev/root")
        let p = Placement(path: "/nvme/sllm-models", mount: m, rootMount: table.rootMount)
        #expect(p.verdict(expectedDevice: nil, expectedPrefix: "/dev/nvme") == .onRootDevice)
    }

    @Test func escapedSpacesAndNestedMounts() throws {
        let table = try MountTable(path: fixture("mountinfo-aws-models.txt"))
        #expect(table.mount(containing: "/tmp/my space/f")?.fstype == "tmpfs")
        #expect(table.mount(containing: "/mnt/models/hf-cache")?.source == "/dev/nvme1n1")
        // The prefix test must be by path component: /mnt/modelsX is not under /mnt/models.
        #expect(table.mount(containing: "/mnt/modelsX")?.target == "/")
    }

    @Test func liveTableResolvesAnExistingFolder() throws {
        let table = try MountTable()
        #expect(table.isLive)
        let tmp = TempDir()
        let m = try #require(table.mount(containing: tmp.path + "/not/yet"))
        #expect(!m.target.isEmpty)
    }

    @Test func garbageIsAClearError() throws {
        let tmp = TempDir()
        let bad = tmp.write("bad.txt", "this is not a mount table\n")
        #expect(throws: MountTableError.self) { try MountTable(path: bad) }
        #expect(throws: MountTableError.self) { try MountTable(path: tmp.path + "/missing") }
    }
}

@Suite("libblkid: signatures on real images")
struct BlockProbeTests {
    @Test func ext4ImageReportsTypeAndUUID() throws {
        let tmp = TempDir()
        let img = tmp.path + "/ext4.img"
        let (rc, out) = sh("truncate -s 64M \(img) && mkfs.ext4 -F -q -L sllmtest \(img)")
        #expect(rc == 0, "mkfs.ext4: \(out)")
        guard case .filesystem(let type, let uuid, let label) = BlockProbe.probe(img) else {
            Issue.record("expected a filesystem, got \(BlockProbe.probe(img))"); return
        }
        #expect(type == "ext4")
        #expect(label == "sllmtest")
        let (_, blkidUUID) = sh("blkid -p -s UUID -o value \(img)")
        #expect(uuid == blkidUUID.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func zeroFilledImageIsUnformatted() {
        let tmp = TempDir()
        let img = tmp.bytes("zero.img", count: 0)
        truncate(img, 16 << 20)
        #expect(BlockProbe.probe(img) == .none)
    }

    @Test func missingDeviceCannotBeProbed() {
        guard case .cannotProbe(let reason) = BlockProbe.probe("/dev/does-not-exist") else {
            Issue.record("expected cannotProbe"); return
        }
        #expect(reason.contains("/dev/does-not-exist"))
    }

    @Test func partitionTableIsASignature() {
        let tmp = TempDir()
        let img = tmp.path + "/gpt.img"
        let (rc, out) = sh("truncate -s 32M \(img) && printf 'label: gpt\\n,,L\\n' | sfdisk -q \(img)")
        guard rc == 0 else { Issue.record("sfdisk: \(out)"); return }
        let sig = BlockProbe.probe(img)
        #expect(sig.hasAnySignature)
        #expect(sig == .partitionTable(type: "gpt"))
    }
}

@Suite("processes and sockets")
struct ProcessAndHTTPTests {
    @Test func commandRunnerCapturesOutputAndTimesOut() {
        let runner = SystemCommandRunner()
        guard case .success(let ok) = runner.run(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"], timeout: 5) else {
            Issue.record("spawn failed"); return
        }
        #expect(ok.status == 3)
        #expect(ok.stdout == "out")
        #expect(ok.stderr == "err")
        let started = Date()
        guard case .success(let slow) = runner.run(["sleep", "30"], timeout: 0.3) else { Issue.record("spawn failed"); return }
        #expect(slow.timedOut)
        #expect(Date().timeIntervalSince(started) < 5)
        guard case .failure(.notFound) = runner.run(["no-such-command-xyz"], timeout: 1) else {
            Issue.record("expected notFound"); return
        }
    }

    @Test func terminateKillsTheWholeGroupAndEscalates() throws {
        // A shell that ignores SIGTERM and has a child: both must be gone afterwards.
        let child = try ChildProcess(["/bin/sh", "-c", "trap '' TERM; sleep 300 & echo $!; wait"],
                                     environment: ProcessInfo.processInfo.environment)
        var grandchild: Int32 = 0
        let deadline = Date().addingTimeInterval(5)
        while grandchild == 0 && Date() < deadline {
            grandchild = child.output.first.flatMap { Int32($0.text) } ?? 0
            usleep(5000)
        }
        #expect(grandchild > 0)
        let result = child.terminate(grace: 0.3)
        #expect(result.escalated)
        // Gone, or a zombie waiting for its new parent to reap it.
        let state = (try? String(contentsOfFile: "/proc/\(grandchild)/stat", encoding: .utf8))?
            .split(separator: ")").last?.split(separator: " ").first
        #expect(state == nil || state == "Z", "grandchild \(grandchild) survived in state \(state ?? "")")
    }

    @Test func aSocketConnectedToItselfIsNoListener() throws {
        // Bound to a port and connected to that same port: TCP's simultaneous open, the case a
        // connect to a free ephemeral port can fall into by chance.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        var len = size
        try #require(withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } } == 0)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        try #require(withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, size) } } == 0)
        #expect(HTTPClient.isSelfConnected(fd))

        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        addr.sin_port = 0
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, size) } }
        listen(listener, 4)
        len = size
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) } }
        let client = try HTTPClient.connect(host: "127.0.0.1", port: Int(UInt16(bigEndian: addr.sin_port)), timeout: 1)
        defer { close(client) }
        #expect(!HTTPClient.isSelfConnected(client))
    }

    @Test func isListeningSeesARealSocket() throws {
        // The port stays reserved by this process from start to end: once the listener is
        // closed, no parallel test, test process or client's ephemeral port can take it, so
        // "not listening" is about the closed listener and nothing else.
        let port = freePort()
        #expect(!HTTPClient.isListening(port: port))    // bound, not listening: refused
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        try #require(withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0)
        try #require(listen(fd, 4) == 0)
        #expect(HTTPClient.isListening(port: port))
        close(fd)
        #expect(!HTTPClient.isListening(port: port))
    }
}
