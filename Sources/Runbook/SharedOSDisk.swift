/// A folder's device that is not the OS disk's own device but lies on the same disk: a second
/// partition of it, or a volume (LVM, md) built on it.
public struct SharedOSDisk: Sendable, Equatable, CustomStringConvertible {
    /// The folder's device as the mount table names it (`/dev/nvme0n1p2`, `/dev/mapper/vg-models`).
    public var folderDevice: String
    /// The OS disk (`/dev/nvme0n1`).
    public var disk: String
    /// The device mounted on / (`/dev/nvme0n1p1`; its kernel name when the table says /dev/root).
    public var rootDevice: String
    public var folderIsPartition: Bool
    /// How the disk was found ("/sys/block" or "its kernel name").
    public var basis: String

    /// "/dev/nvme0n1p2, a second partition of the OS disk /dev/nvme0n1 (/ is on /dev/nvme0n1p1)"
    public var description: String {
        "\(folderDevice), \(folderIsPartition ? "a second partition of" : "a volume on") the OS disk \(disk) (/ is on \(rootDevice))"
    }
}
