import Basics

/// Building a JSON object member by member; absent optionals are left out.
struct JSONObjectBuilder {
    var members: [String: JSONValue] = [:]

    mutating func put(_ key: String, _ v: JSONValue) { members[key] = v }
    mutating func put(_ key: String, _ v: String?) { if let v { members[key] = .string(v) } }
    mutating func put(_ key: String, _ v: Double?) { if let v { members[key] = .number(v) } }
    mutating func put(_ key: String, _ v: Int?) { if let v { members[key] = .number(v) } }
    mutating func put(_ key: String, _ v: Bool?) { if let v { members[key] = .bool(v) } }
    mutating func put(_ key: String, _ v: [String]) { members[key] = .array(v.map(JSONValue.string)) }
    mutating func put(_ key: String, _ v: [String: Double]) { members[key] = .object(v.mapValues(JSONValue.number)) }
    /// A key that is always written, as null when there is no value.
    mutating func putOrNull(_ key: String, _ v: String?) { members[key] = v.map(JSONValue.string) ?? .null }

    var value: JSONValue { .object(members) }
}
