#if canImport(Glibc)
import Glibc
import Basics
#endif

/// The name a fleet knows this host by: NODE_NAME when set (a pod gets its node's name through
/// the Downward API, `spec.nodeName`; inside a pod `hostname` is the pod's name), else what
/// `hostname` prints.
public enum NodeName {
    public static func current(environment: [String: String]) -> String {
        if let node = environment["NODE_NAME"]?.trimmingSpaces(newlines: true), !node.isEmpty { return node }
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
