import Foundation
import Basics

public enum CheckStatus: String, Sendable, Codable, CaseIterable, Comparable {
    case pass, warn, fail, skip

    private var rank: Int {
        switch self { case .pass: 0; case .skip: 1; case .warn: 2; case .fail: 3 }
    }
    public static func < (a: CheckStatus, b: CheckStatus) -> Bool { a.rank < b.rank }
}

/// The runbook's areas, in runbook order: the human report groups checks by these.
public enum CheckArea: String, Sendable, Codable, CaseIterable {
    case env, secrets, storage, model, offline, gpu, runtime, snapshot

    /// The area a check id names before its first '.' (`storage.mount` → storage); nil when that
    /// is no area. The catalogue contract test holds every id to one.
    public init?(checkID: String) {
        guard let dot = checkID.firstIndex(of: ".") else { return nil }
        self.init(rawValue: String(checkID[..<dot]))
    }

    public var heading: String {
        switch self {
        case .env: "Configuration (.env)"
        case .secrets: "Secrets"
        case .storage: "Storage (NVMe)"
        case .model: "Model files"
        case .offline: "Offline flags"
        case .gpu: "GPU"
        case .runtime: "Runtime"
        case .snapshot: "Snapshot restore (CRIU)"
        }
    }
}

/// Ordered key/value facts behind a result (paths, devices, line numbers).
public struct Evidence: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public private(set) var items: [(key: String, value: String)] = []
    /// Where each key sits in `items`: setting N keys is linear, not a scan per key.
    private var position: [String: Int] = [:]
    public init() {}
    public init(dictionaryLiteral elements: (String, String)...) {
        for (k, v) in elements { self[k] = v }
    }
    public subscript(key: String) -> String? {
        get { position[key].map { items[$0].value } }
        set {
            if let i = position[key] {
                if let newValue { items[i].value = newValue; return }
                // A removal (rare) shifts the later items: their positions are renumbered.
                items.remove(at: i)
                position[key] = nil
                for j in i..<items.count { position[items[j].key] = j }
            } else if let newValue {
                position[key] = items.count
                items.append((key, newValue))
            }
        }
    }
    public var isEmpty: Bool { items.isEmpty }
    public static func == (a: Evidence, b: Evidence) -> Bool {
        a.items.map(\.key) == b.items.map(\.key) && a.items.map(\.value) == b.items.map(\.value)
    }
}

/// What a check returns. A check never prints: the renderers turn results into output.
public struct CheckResult: Sendable, Equatable {
    public var status: CheckStatus
    public var summary: String
    public var evidence: Evidence
    /// A command to type, or `sllm-doctor fix --only ACTION`.
    public var fix: String?

    public init(_ status: CheckStatus, _ summary: String, evidence: Evidence = Evidence(), fix: String? = nil) {
        self.status = status; self.summary = summary; self.evidence = evidence; self.fix = fix
    }

    public static func pass(_ s: String, evidence: Evidence = Evidence()) -> CheckResult { .init(.pass, s, evidence: evidence) }
    public static func warn(_ s: String, evidence: Evidence = Evidence(), fix: String? = nil) -> CheckResult { .init(.warn, s, evidence: evidence, fix: fix) }
    public static func fail(_ s: String, evidence: Evidence = Evidence(), fix: String? = nil) -> CheckResult { .init(.fail, s, evidence: evidence, fix: fix) }
    public static func skip(_ s: String, evidence: Evidence = Evidence()) -> CheckResult { .init(.skip, s, evidence: evidence) }
}

/// One check: who it is, and what it finds in a context. The two-method shape of kubeadm's
/// preflight checks; everything else (ordering, timeouts, output) belongs to the runner.
/// Its area is the prefix of its id (`storage.mount`), said once. The context is whatever the
/// checks judge (the runbook's facts about a host): the framework only hands it over.
public protocol Check<Context>: Sendable {
    associatedtype Context: Sendable
    var id: String { get }
    var title: String { get }
    /// Ids of checks that must not have failed for this one to mean anything.
    var dependsOn: [String] { get }
    func run(_ context: Context) throws -> CheckResult
    /// True for checks that may wait on another program (nvidia-smi, docker, git, a server):
    /// the runner gives them a thread of their own. The rest only read files and share one.
    var mayBlock: Bool { get }
}

extension Check {
    public var mayBlock: Bool { false }
}

extension Check {
    public var dependsOn: [String] { [] }
}

extension Check {
    /// From the id: a check states its area once, as the id's prefix.
    public var area: CheckArea {
        guard let area = CheckArea(checkID: id) else {
            preconditionFailure("check id \(id): expected AREA.name with AREA one of \(CheckArea.allCases.map(\.rawValue))")
        }
        return area
    }
}

/// A check together with the result it gave.
public struct CheckReport: Sendable {
    public var id: String
    public var title: String
    public var area: CheckArea
    public var result: CheckResult
    /// True when `--ignore` turned a failure into a warning.
    public var ignored: Bool = false
    public var durationMs: Double = 0
}

public struct CheckCounts: Sendable, Equatable, Codable {
    public var pass = 0, warn = 0, fail = 0, skip = 0
    public init(_ reports: [CheckReport]) {
        for r in reports {
            switch r.result.status {
            case .pass: pass += 1
            case .warn: warn += 1
            case .fail: fail += 1
            case .skip: skip += 1
            }
        }
    }
}

/// Exit codes shared by every subcommand.
public enum DoctorExit: Int32 {
    case ok = 0
    case failed = 1
    case usage = 2
}

public extension Array where Element == CheckReport {
    func exitCode(strict: Bool) -> DoctorExit {
        let counts = CheckCounts(self)
        if counts.fail > 0 || (strict && counts.warn > 0) { return .failed }
        return .ok
    }
}
