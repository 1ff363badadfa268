import Foundation
import Testing
import TestSupport
@testable import SystemProbes

/// `check --mountinfo FILE` takes a copy of another host's /proc/self/mountinfo; any other
/// table is refused with one line naming the file, the line and the format expected (exit 2),
/// never judged as if it were a smaller table.
@Suite("--mountinfo: a table of another format")
struct MountinfoInputTests {
    static let procMounts = """
    sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
    /dev/nvme0n1p1 / ext4 rw,relatime,discard 0 0
    /dev/nvme1n1 /nvme ext4 rw,relatime 0 0

    """

    @Test func aProcMountsCopyIsAUsageErrorNamingTheLine() {
        let tmp = TempDir("mi")
        let path = tmp.write("mounts.txt", Self.procMounts)
        let r = doctor(["check", "--root", tmp.path, "--mountinfo", path, "--only", "storage"])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr == "sllm-doctor: error: --mountinfo \(path): line 1: this is /proc/mounts format (SOURCE MOUNT-POINT FSTYPE OPTIONS 0 0, no ' - ' separator); expected /proc/self/mountinfo format (ID PARENT MAJOR:MINOR ROOT MOUNT-POINT OPTIONS [TAGS…] - FSTYPE SOURCE SUPER-OPTIONS; `cat /proc/self/mountinfo` on that host)",
                "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func aMountsLineInsideAMountinfoFileIsNamedNotSkipped() throws {
        // libmount takes the format from line 1 and skips the lines it cannot parse: /nvme
        // would silently vanish from the table.
        let tmp = TempDir("mi")
        let path = tmp.write("mixed.txt", """
        28 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw
        /dev/nvme1n1 /nvme ext4 rw,relatime 0 0

        """)
        let r = doctor(["check", "--root", tmp.path, "--mountinfo", path, "--only", "storage"])
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("sllm-doctor: error: --mountinfo \(path): line 2: this is /proc/mounts format"), "\(r.stderr)")
        let cut = tmp.write("cut.txt", "28 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw\n612 28 259:0 / /nvme rw,relatime\n")
        #expect { try MountTable(path: cut) } throws: {
            "\($0)".hasPrefix("\(cut): line 2: not a whole mountinfo line (no ' - ' separator after the options, or nothing after it)")
        }
        let junk = tmp.write("junk.txt", "# captured on node-7\n\nhello world\n")
        #expect { try MountTable(path: junk) } throws: { "\($0)".hasPrefix("\(junk): line 3: not a mountinfo line") }
    }

    @Test func theFixturesAndThisHostsTableAreMountinfo() throws {
        for name in ["mountinfo-aws-models.txt", "mountinfo-azure-mnt-nvme.txt", "mountinfo-azure-nvme.txt",
                     "mountinfo-azure-plain-folder.txt", "mountinfo-this-host.txt"] {
            try MountInfoFormat.check(path: fixture(name))
        }
        try MountInfoFormat.check(path: "/proc/self/mountinfo")
    }

    @Test func aHugeOneLineFileIsCheckedInOnePass() {
        // 8 MiB of fields on one line: one pass over the bytes, not a rescan per field.
        let line = Array(String(repeating: "1 ", count: 4 << 20).utf8)
        let started = ContinuousClock.now
        #expect(MountInfoFormat.problem(in: line)?.line == 1)
        #expect(ContinuousClock.now - started < .seconds(20))
    }
}
