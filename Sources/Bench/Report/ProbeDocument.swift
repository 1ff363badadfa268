import Basics
import Foundation
import Startup
import SystemProbes

/// A TTFT probe's results file (`probe --results FILE`, named `probe_*.json` beside bench's):
/// the samples as measured, read back by `bench report` for the README's TTFT table.
public struct ProbeDocument: Sendable, Equatable {
    public struct Sample: Sendable, Equatable {
        public var label: String
        public var wallS: Double
        public var ttftMs: Double?
        public var totalTokens: Int?
        public var error: String?
    }

    /// The value of `kind`: what tells a probe's file from a bench's.
    public static let kind = "ttft-probe"

    public var tool: String
    public var version: String
    public var timestampUTC: String
    public var host: String
    public var gpu: String
    public var model: String
    public var url: String
    /// The command that started the server, or that it was already running.
    public var launch: String
    public var maxTokens: Int
    public var note: String
    public var cold: Sample
    public var warm1: Sample
    public var warm: [Sample]
    public var verdict: String

    public var warmMedianWallS: Double? { median(warm.filter { $0.error == nil }.map(\.wallS)) }
    public var warmMedianTTFTMs: Double? { median(warm.filter { $0.error == nil }.compactMap(\.ttftMs)) }
    public var coldPenalty: Double? { warmMedianWallS.flatMap { $0 > 0 ? cold.wallS / $0 : nil } }

    public init(report: TTFTProbe.Report, url: String, launch: String, note: String, host: String, at time: Date) {
        func sample(_ s: ProbeSample) -> Sample {
            Sample(label: s.label, wallS: round4(s.wallS), ttftMs: s.ttftS.map { round1($0 * 1000) }, totalTokens: s.totalTokens, error: s.error)
        }
        tool = Tool.name; version = Tool.version; timestampUTC = ISO8601DateFormatter().string(from: time)
        self.host = host; gpu = report.gpu; model = report.model; self.url = url; self.launch = launch
        maxTokens = report.maxTokens; self.note = note
        cold = sample(report.cold); warm1 = sample(report.warm1); warm = report.warm.map(sample)
        verdict = report.verdict.name
    }

    public func json() -> JSONValue {
        func sample(_ s: Sample) -> JSONValue {
            var o = JSONObjectBuilder()
            o.put("label", s.label); o.put("wall_s", s.wallS); o.put("ttft_ms", s.ttftMs); o.put("total_tokens", s.totalTokens); o.put("error", s.error)
            return o.value
        }
        var o = JSONObjectBuilder()
        o.put("tool", tool); o.put("version", version); o.put("kind", Self.kind); o.put("timestamp_utc", timestampUTC)
        o.put("host", host); o.put("gpu", gpu); o.put("model", model); o.put("url", url); o.put("launch", launch)
        o.put("max_tokens", maxTokens); o.put("note", note); o.put("verdict", verdict)
        o.put("cold_1", sample(cold)); o.put("warm_1", sample(warm1)); o.put("warm", .array(warm.map(sample)))
        return o.value
    }

    init(_ j: JSONField) throws {
        func sample(_ f: JSONField) throws -> Sample {
            Sample(label: try f.required("label").string(), wallS: try f.required("wall_s").double(),
                   ttftMs: try f.optional("ttft_ms") { try $0.double() }, totalTokens: try f.optional("total_tokens") { try $0.int() },
                   error: try f.optional("error") { try $0.string() })
        }
        guard try j.required("kind").string() == Self.kind else { throw j.fail("\"kind\": \"\(Self.kind)\"") }
        tool = try j.required("tool").string(); version = try j.required("version").string()
        timestampUTC = try j.required("timestamp_utc").string(); host = try j.required("host").string()
        gpu = try j.required("gpu").string(); model = try j.required("model").string(); url = try j.required("url").string()
        launch = try j.required("launch").string(); maxTokens = try j.required("max_tokens").int()
        note = try j.required("note").string(); verdict = try j.required("verdict").string()
        cold = try sample(j.required("cold_1")); warm1 = try sample(j.required("warm_1"))
        warm = try j.required("warm").array().map(sample)
    }

    /// A probe's file; a missing or mistyped field is named by file and JSON path.
    public static func read(file: String) throws -> ProbeDocument {
        let text: String
        do { text = try BoundedRead.strictText(file, limit: ResultsDocument.readLimit) }
        catch { throw ResultsReadError(file: file, path: "$", expected: "a readable probe results file (\(error.reason))") }
        let value: JSONValue
        do { value = try JSONLite.parse(Array(text.utf8)) }
        catch let e as JSONLiteError { throw ResultsReadError(file: file, path: "byte \(e.offset)", expected: e.expected) }
        return try ProbeDocument(JSONField(value, file: file))
    }

    /// Whether `file` is named as a probe's results file.
    public static func isProbeFile(_ file: String) -> Bool {
        let name = file.split(separator: "/").last.map(String.init) ?? file
        return name.hasPrefix("probe_") && name.hasSuffix(".json")
    }
}
