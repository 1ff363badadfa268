import Basics
import DoctorCore
import Foundation

/// A results file as typed values: what bench writes after its runs, and what `bench report`
/// reads back (from this version's files and every earlier one). The field names are the
/// JSON's; numbers are kept as written (bench rounds them when it builds the document).
public struct ResultsDocument: Sendable, Equatable {
    public struct Flags: Sendable, Equatable {
        public var dropCaches: Bool
        public var offline: Bool
        public var readyTimeoutS: Double
        public var maxTokens: Int
        public var prompt: String
        public var decodeProbeTokens: Int?
    }

    /// One run (or warm-up, or cold start) as the file holds it.
    public struct Run: Sendable, Equatable {
        public struct SnapshotRestore: Sendable, Equatable {
            public var image: String
            public var imageBytes: Int?
            public var criuRestoreS: Double?
            public var cudaRestoreS: Double?
            public var checkS: Double?
            public var totalS: Double?
        }
        public var run: Int
        public var outcome: RunRecord.Outcome
        public var readyMs: Double?
        public var ttftMs: Double?
        public var firstCompletionS: Double?
        public var promptTokens: Int?
        public var completionTokens: Int?
        public var exitStatus: String?
        public var stopMs: Double?
        public var stop: String?
        public var diagnosis: String?
        public var cause: String?
        public var log: String?
        public var note: String?
        public var containerStartMs: Double?
        public var offlineVerified: String?
        public var storeRestartMs: Double?
        public var crashSeenMs: Double?
        public var templateRestartMs: Double?
        public var gpuAfterStop: String?
        /// When the server was started, as written (UTC, milliseconds).
        public var spawnedAt: String?
        public var snapshot: SnapshotRestore?
        public var sleepMs: Double?
        public var gpuMemBeforeSleepMiB: Int?
        public var gpuMemAfterSleepMiB: Int?
        public var sleepFreedGPUGiB: Double?
        public var sleepCPUBackupGiB: Double?
        public var decodeTokensPerS: Double?
        public var compileCache: String?
        public var newCompileCacheKeys: [String] = []
        public var cachesDropped = false
        public var storeRestarted = false
        public var phasesS: [String: Double] = [:]
        public var findings: [String] = []
        public var lastLines: [String] = []

        public init(run: Int, outcome: RunRecord.Outcome) { self.run = run; self.outcome = outcome }
    }

    public enum Launch: Sendable, Equatable {
        case command([String])
        case compose(file: String, service: String, profile: String)
    }

    public struct Median: Sendable, Equatable {
        public var readyMs: Double?
        public var ttftMs: Double?
        public var firstCompletionS: Double?
        public var phasesS: [String: Double] = [:]
    }

    public struct Variant: Sendable, Equatable {
        public var name: String
        public var kind: VariantKind
        public var port: Int
        public var serverlessLLM: Bool
        public var launch: Launch
        public var runs: [Run]
        public var coldStart: Run?
        public var sleepLevel: Int?
        public var knob: String?
        public var template = false
        /// The plan marked this variant as vLLM started as it comes (no start-up knob): the
        /// speed-ups "vs vLLM as given" are against it.
        public var vllmAsGiven = false
        public var warmups: [Run] = []
        public var median: Median
        public var speedupVsBaseline: Double?

        public var okRuns: Int { runs.filter { $0.outcome == .ok }.count }
    }

    public struct ExploreRow: Sendable, Equatable {
        public var variant: String
        public var knob: String
        public var kind: VariantKind
        public var okRuns: Int
        public var runs: Int
        public var readyMedianS: Double?
        public var speedup: Double?
        public var firstCompletionS: Double?
        public var decodeTokensPerS: Double?
        public var decodeChangePct: Double?
        public var compileCache: String?
    }

    public struct Explore: Sendable, Equatable {
        public var rows: [ExploreRow]
        public var fastestKeepingDecode: String?
        public var decodeTolerancePct: Double
        public var verdict: String
    }

    public struct Template: Sendable, Equatable {
        public struct Start: Sendable, Equatable {
            public var readyMs: Double
            public var pid: Int?
            public var modules: Int?
            public var loadS: Double?
            public var rssBytes: Int?
        }
        public var python: String
        public var socket: String
        public var starts: [Start]
        public var crashes: [String]
    }

    public struct Snapshot: Sendable, Equatable {
        public var variant: String
        public var image: String
        public var made: Bool
        public var imageBytes: Int?
        public var freshStartS: Double?
        public var createS: Double?
        public var checkpointS: Double?
        public var dumpS: Double?
        public var freshLog: String?
    }

    /// vLLM as given from another results file (the plan's `reference:`), for the speed-ups
    /// when this bench did not run it itself.
    public struct Reference: Sendable, Equatable {
        public var file: String
        public var variant: String
        public var readyMedianMs: Double
    }

    public var tool: String
    public var version: String
    public var mode: BenchMode
    public var timestampUTC: String
    public var gitSHA: String
    public var host: String
    public var gpu: String
    public var model: String?
    public var runs: Int
    public var note: String
    public var partial: Bool
    public var partialReason: String?
    public var flags: Flags
    public var baseline: String?
    public var compose: String?
    public var variants: [Variant]
    public var wallS: Double
    public var overheadS: Double
    public var explore: Explore?
    public var templates: [Template] = []
    public var snapshots: [Snapshot] = []
    public var reference: Reference?

    /// This bench's variant that is vLLM as given: marked so in the plan, or named so
    /// (`…as-given…`, `…as_given…`). A wake-up never is.
    public var asGivenVariant: Variant? {
        variants.first { v in
            guard v.kind == .restart, v.median.readyMs != nil else { return false }
            return v.vllmAsGiven || v.name.lowercased().replacingOccurrences(of: "_", with: "-").contains("as-given")
        }
    }

    /// What the speed-ups "vs vLLM as given" divide by: this bench's own, else the plan's
    /// reference file's. Nil: neither, and those columns say "-".
    public var asGivenReadyMedianMs: Double? { asGivenVariant?.median.readyMs ?? reference?.readyMedianMs }

    /// How the chart names it.
    public var asGivenLabel: String? { asGivenVariant?.name ?? reference.map { "\($0.variant) of \($0.file)" } }

    public func speedupVsAsGiven(_ v: Variant) -> Double? {
        guard let ref = asGivenReadyMedianMs, ref > 0, let mine = v.median.readyMs, mine > 0 else { return nil }
        return ref / mine
    }
}

// MARK: - Built from a bench's results

extension ResultsDocument {
    /// The document of results just measured: the values rounded as the file keeps them.
    public init(_ r: BenchResults) {
        let f = ISO8601DateFormatter()
        tool = Tool.name; version = Tool.version; mode = r.plan.mode
        timestampUTC = f.string(from: r.host.timestamp); gitSHA = r.host.gitSHA; host = r.host.host; gpu = r.host.gpu
        model = r.plan.model; runs = r.plan.runs; note = r.plan.note; partial = r.partial; partialReason = r.partialReason
        flags = Flags(dropCaches: r.plan.dropCaches, offline: r.plan.offline, readyTimeoutS: r.plan.readyTimeout,
                      maxTokens: r.plan.maxTokens, prompt: r.plan.prompt, decodeProbeTokens: r.plan.decodeProbeTokens)
        baseline = r.summaries.first?.variant.name
        compose = r.plan.composeLabel
        variants = r.summaries.map { s in Variant(s, warmups: r.warmups.filter { $0.variant == s.variant.name }) }
        wallS = round1(r.wallS); overheadS = round1(r.overheadS)
        if r.plan.explore { explore = Explore(r.explore) }
        templates = r.templates.map { t in
            Template(python: t.python, socket: t.socket, starts: t.starts.map {
                Template.Start(readyMs: round1($0.ms), pid: $0.status?.pid, modules: $0.status?.modules, loadS: $0.status?.loadS, rssBytes: $0.status?.rssBytes)
            }, crashes: t.crashes)
        }
        snapshots = r.snapshots.map {
            Snapshot(variant: $0.variant, image: $0.image, made: $0.made, imageBytes: $0.imageBytes, freshStartS: $0.freshStartS.map(round3),
                     createS: $0.createS.map(round3), checkpointS: $0.checkpointS, dumpS: $0.dumpS, freshLog: $0.log)
        }
        reference = r.plan.reference
    }
}

extension ResultsDocument.Variant {
    /// A variant's summary as the file keeps it (rounded).
    init(_ s: VariantSummary, warmups: [RunRecord]) {
        let launch: ResultsDocument.Launch
        switch s.variant.launch {
        case .command(let argv, _, _): launch = .command(argv)
        case .compose(let file, let service, let profile, _, _): launch = .compose(file: file, service: service, profile: profile ?? "-")
        }
        self.init(name: s.variant.name, kind: s.variant.kind, port: s.variant.port, serverlessLLM: s.variant.serverlessLLM,
                  launch: launch, runs: s.runs.map(ResultsDocument.Run.init), coldStart: s.coldStart.map(ResultsDocument.Run.init),
                  sleepLevel: s.variant.kind == .wake ? s.variant.sleepLevel : nil, knob: s.variant.knob,
                  template: s.variant.template, vllmAsGiven: s.variant.vllmAsGiven, warmups: warmups.map(ResultsDocument.Run.init),
                  median: ResultsDocument.Median(readyMs: s.readyMedianMs.map(round1), ttftMs: s.ttftMedianMs.map(round1),
                                                 firstCompletionS: s.completionMedianS.map(round4), phasesS: s.phaseMedians.mapValues(round4)),
                  speedupVsBaseline: s.speedup.map(round2))
    }
}

extension ResultsDocument.Explore {
    init(_ e: ExploreReport) {
        self.init(rows: e.rows.map {
            ResultsDocument.ExploreRow(variant: $0.variant, knob: $0.knob, kind: $0.kind, okRuns: $0.okRuns, runs: $0.runs,
                                       readyMedianS: $0.readyMedianS, speedup: $0.speedup, firstCompletionS: $0.firstCompletionS,
                                       decodeTokensPerS: $0.decodeTokensPerS, decodeChangePct: $0.decodeChangePct, compileCache: $0.compileCache)
        }, fastestKeepingDecode: e.fastest?.variant, decodeTolerancePct: ExploreReport.tolerancePct, verdict: e.verdict)
    }
}

extension ResultsDocument.Run {
    init(_ r: RunRecord) {
        self.init(run: r.run, outcome: r.outcome)
        readyMs = r.readyMs.map(round1); ttftMs = r.ttftMs.map(round1); firstCompletionS = r.firstCompletionS.map(round4)
        promptTokens = r.promptTokens; completionTokens = r.completionTokens; exitStatus = r.exitStatus
        stopMs = r.stopMs.map(round1); stop = r.stopHow; diagnosis = r.diagnosis; cause = r.cause; log = r.logPath; note = r.note
        containerStartMs = r.containerStartMs.map(round1); offlineVerified = r.offlineVerified
        storeRestartMs = r.storeRestartMs.map(round1); crashSeenMs = r.crashSeenMs.map(round1)
        templateRestartMs = r.templateRestartMs.map(round1); gpuAfterStop = r.gpuAfterStop; spawnedAt = r.spawnedAt.map { isoMillis(secondsSince1970: $0.timeIntervalSince1970) }
        snapshot = r.snapshot.map {
            SnapshotRestore(image: $0.image, imageBytes: $0.imageBytes, criuRestoreS: $0.criuRestoreS, cudaRestoreS: $0.cudaRestoreS,
                            checkS: $0.checkS, totalS: $0.totalS)
        }
        sleepMs = r.sleepMs.map(round1); gpuMemBeforeSleepMiB = r.gpuBeforeSleepMiB; gpuMemAfterSleepMiB = r.gpuAfterSleepMiB
        sleepFreedGPUGiB = r.sleepFreedGiB; sleepCPUBackupGiB = r.sleepCPUBackupGiB
        decodeTokensPerS = r.decodeTokensPerS.map(round2); compileCache = r.compileCache
        newCompileCacheKeys = r.newCompileCacheKeys; cachesDropped = r.cachesDropped; storeRestarted = r.storeRestarted
        phasesS = r.phases.mapValues(round4); findings = r.findings
        lastLines = r.outcome != .ok ? r.lastLines : []
    }
}

func round3(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }

func round1(_ v: Double) -> Double { (v * 10).rounded() / 10 }
func round2(_ v: Double) -> Double { (v * 100).rounded() / 100 }
func round4(_ v: Double) -> Double { (v * 10000).rounded() / 10000 }
