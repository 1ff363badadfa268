import Foundation
import Basics

/// Who a process is to the kernel, from its `/proc/PID/status`: the effective uid (`Uid:`,
/// second field) and the effective capability set (`CapEff:`, hex).
public struct ProcessPrivileges: Sendable, Equatable {
    public var effectiveUID: UInt32?
    public var effectiveCapabilities: UInt64?

    /// The capabilities a checkpoint or restore asks of the kernel (linux/capability.h).
    public enum Capability: Int, Sendable, CaseIterable {
        case sysPtrace = 19
        case sysAdmin = 21
        case checkpointRestore = 40

        public var name: String {
            switch self {
            case .sysPtrace: "CAP_SYS_PTRACE"
            case .sysAdmin: "CAP_SYS_ADMIN"
            case .checkpointRestore: "CAP_CHECKPOINT_RESTORE"
            }
        }
    }

    public init(effectiveUID: UInt32?, effectiveCapabilities: UInt64?) {
        self.effectiveUID = effectiveUID; self.effectiveCapabilities = effectiveCapabilities
    }

    public func has(_ capability: Capability) -> Bool {
        guard let caps = effectiveCapabilities else { return false }
        return caps & (UInt64(1) << UInt64(capability.rawValue)) != 0
    }

    /// Reads the two lines; a line that is missing or malformed leaves its field nil.
    public static func parse(_ status: String) -> ProcessPrivileges {
        var out = ProcessPrivileges(effectiveUID: nil, effectiveCapabilities: nil)
        for raw in status.split(separator: "\n") {
            if raw.hasPrefix("Uid:") {
                let fields = raw.dropFirst(4).split(whereSeparator: { $0 == " " || $0 == "\t" })
                if fields.count >= 2 { out.effectiveUID = UInt32(fields[1]) }
            } else if raw.hasPrefix("CapEff:") {
                out.effectiveCapabilities = UInt64(raw.dropFirst(7).trimmingSpaces(newlines: true), radix: 16)
            }
        }
        return out
    }
}
