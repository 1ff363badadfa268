import Foundation

/// The plain values SafeYAML makes (`[String: Any]`, `[Any]`, `String`, `Int`, `Double`, `Bool`,
/// `NSNull`), told apart by their exact type. `value is NSNull` or `value as? String` on a
/// mapping makes the Swift runtime on Linux try Foundation's bridging first (the whole mapping
/// becomes an NSDictionary, recursively, to be compared with a class): a third of a check's
/// work on the runbook's compose file, for a `no`.
public enum YAMLValue {
    @inline(__always) public static func isNull(_ v: Any?) -> Bool { v.map { type(of: $0) == NSNull.self } ?? false }
    @inline(__always) public static func isString(_ v: Any?) -> Bool { v.map { type(of: $0) == String.self } ?? false }
    @inline(__always) public static func isInt(_ v: Any?) -> Bool { v.map { type(of: $0) == Int.self } ?? false }
    @inline(__always) public static func isDouble(_ v: Any?) -> Bool { v.map { type(of: $0) == Double.self } ?? false }
    @inline(__always) public static func isBool(_ v: Any?) -> Bool { v.map { type(of: $0) == Bool.self } ?? false }
    @inline(__always) public static func isMapping(_ v: Any?) -> Bool { v.map { type(of: $0) == [String: Any].self } ?? false }
    @inline(__always) public static func isList(_ v: Any?) -> Bool { v.map { type(of: $0) == [Any].self } ?? false }

    public static func string(_ v: Any?) -> String? { isString(v) ? (v as! String) : nil }
    public static func mapping(_ v: Any?) -> [String: Any]? { isMapping(v) ? (v as! [String: Any]) : nil }
    public static func list(_ v: Any?) -> [Any]? { isList(v) ? (v as! [Any]) : nil }
    public static func bool(_ v: Any?) -> Bool? { isBool(v) ? (v as! Bool) : nil }
}
