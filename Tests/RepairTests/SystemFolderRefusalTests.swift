import Foundation
import Testing
import TestSupport
@testable import Repair
@testable import SystemProbes
@testable import Basics

/// Hostile input, round 2: `fix --mount` planned the model folders on `/` and mkfs plus a
/// mount over `/etc`. A system folder is a usage error before any plan, with `--dry-run` too.
@Suite("fix: system folders are never a mount point")
struct SystemFolderRefusalTests {
    @Test(arguments: ["/", "/etc", "/etc/", "/usr/../etc", "/boot", "/var", "/proc", "/sys/kernel", "/dev", "/run",
                      "/home", "/root", "/bin", "/sbin", "/lib", "/lib64", "/libx32", "/opt", "/srv", "/usr/local/models"])
    func aSystemFolderIsRefused(path: String) {
        #expect(MountPointPolicy.refusal(path, table: nil) != nil, "\(path) accepted")
    }

    @Test(arguments: ["/nvme", "/mnt/models", "/data/nvme", "/var/lib/models", "/home/alice/nvme"])
    func anOrdinaryFolderIsAllowed(path: String) {
        #expect(MountPointPolicy.refusal(path, table: nil) == nil, "\(path) refused")
    }

    @Test func aLinkToASystemFolderIsThatFolder() {
        let tmp = TempDir("link")
        #expect(symlink("/etc", tmp.path + "/nvme") == 0)
        let why = MountPointPolicy.refusal(tmp.path + "/nvme", table: nil)
        #expect(why == "--mount \(tmp.path)/nvme (resolves to /etc): /etc is a system folder: choose an empty folder of its own, such as /nvme")
    }

    @Test func anotherMountOfTheRootDeviceIsRefused() throws {
        let tmp = TempDir("mi")
        let mountinfo = tmp.write("mountinfo", """
        22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
        30 22 254:0 /srv/data /data rw,relatime shared:1 - ext4 /dev/vda rw
        31 22 259:0 / /nvme rw,relatime - ext4 /dev/nvme0n1 rw

        """)
        let table = try MountTable(path: mountinfo)
        #expect(MountPointPolicy.refusal("/data", table: table)?.contains("/data is a mount of the root device (/dev/vda)") == true)
        #expect(MountPointPolicy.refusal("/nvme", table: table) == nil)
    }

    /// The binary as a user runs it: exit 2 and one line, whatever the other flags say.
    @Test(arguments: [["--mount", "/", "--dry-run"],
                      ["--mount", "/etc", "--device", "/dev/null", "--format", "--allow-nonempty-mountpoint", "--dry-run"],
                      ["--mount", "/etc", "--format", "--allow-nonempty-mountpoint", "--yes"]])
    func theCommandRefusesWithExit2(args: [String]) {
        let tmp = TempDir("fix")
        let r = doctor(["fix", "--root", tmp.path] + args)
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("is a system folder"), "\(r.stderr)")
        #expect(!r.stdout.contains("mkfs"), "\(r.stdout)")
        #expect(!r.stdout.contains("Plan"))
    }
}
