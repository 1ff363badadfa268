import Basics

/// The running kernel's release as `/proc/sys/kernel/osrelease` says it ("6.18.44-fc-v973-gpu"):
/// its major and minor numbers, for rules such as "kernel 6.16 or later".
public struct KernelRelease: Sendable, Equatable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var text: String
    public var description: String { text }

    public static let osreleasePath = "/proc/sys/kernel/osrelease"

    /// nil unless the text starts with two dot-separated numbers.
    public static func parse(_ raw: String) -> KernelRelease? {
        let text = raw.trimmingSpaces(newlines: true)
        let parts = text.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, (1...4).contains(parts[0].count), parts[0].allSatisfy({ $0.isASCII && $0.isNumber }),
              let major = Int(parts[0]) else { return nil }
        let minorDigits = parts[1].prefix { $0.isASCII && $0.isNumber }
        guard !minorDigits.isEmpty, minorDigits.count <= 4, let minor = Int(minorDigits) else { return nil }
        return KernelRelease(major: major, minor: minor, text: String(text.prefix(80)))
    }

    public func isAtLeast(_ major: Int, _ minor: Int) -> Bool { (self.major, self.minor) >= (major, minor) }
}
