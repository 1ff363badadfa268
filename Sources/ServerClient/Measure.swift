import Foundation
import SystemProbes
import Basics

/// Polls `GET /v1/models` until 200, stopping at once when the server ends (`serverEnded`
/// returns why) or time runs out.
public enum ReadinessPoller {
    public enum Outcome: Sendable {
        case ready(at: Date, modelID: String?)
        case ended(String, at: Date)
        case timedOut
        case interrupted
    }

    public static func wait(endpoint: HTTPEndpoint, serverEnded: () -> String? = { nil }, timeout: TimeInterval,
                            interval: TimeInterval = 0.01, interrupted: () -> Bool = { false }) -> Outcome {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if interrupted() { return .interrupted }
            if let why = serverEnded() { return .ended(why, at: Date()) }
            if let r = try? HTTPClient.get(endpoint, "/v1/models", timeout: 2), r.status == 200 {
                return .ready(at: r.finishedAt, modelID: modelID(r.body))
            }
            usleep(UInt32(interval * 1_000_000))
        }
        return .timedOut
    }

    public static func modelID(_ body: Data) -> String? {
        guard let data = (try? JSONLite.parse(Array(body)))?["data"]?.array,
              data.allSatisfy({ $0.object != nil }) else { return nil }
        return data.first?["id"]?.string
    }
}

/// One fixed completion sent with `stream: true`: TTFT is the first streamed event carrying
/// text, first completion is the last byte.
public struct StreamedCompletion: Sendable {
    public var status: Int
    public var ttft: TimeInterval?
    public var total: TimeInterval
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var text: String
    public var error: String?
    /// Completion choices received (a server may batch several tokens into one event).
    public var tokenEvents = 0
    /// The stream ended as the protocol says: `[DONE]` after a usage object, or as many token
    /// events as the usage declared. Anything less is a cut-off reply, not a measurement.
    public var finished = false
    /// Tokens per second after the first one: (tokens - 1) / (last token - first token).
    /// The decode speed a configuration keeps once it is up (nil under 2 tokens).
    public var decodeTokensPerS: Double?

    /// Why bench hung up before the server ended the reply: past max_tokens or past the time
    /// limit (a server that streams forever must not keep bench waiting).
    public var stoppedBecause: String?

    /// What was seen of a reply that did not finish, for the run record.
    public var cutOffSummary: String {
        "\(tokenEvents) token event(s) in \(String(format: "%.3f", total)) s, " +
            (completionTokens.map { "usage declared \($0) token(s), " } ?? "no usage object, ") + "no [DONE]" +
            (stoppedBecause.map { "; \($0)" } ?? "")
    }

    /// Token events past max_tokens that are still taken as the same reply (a server may send
    /// an empty first or last choice).
    public static let tokenSlack = 4

    /// `ignoreEOS`: generate exactly `maxTokens` (vLLM's `ignore_eos`), for a decode-speed probe
    /// of fixed length whatever the model says.
    public static func send(endpoint: HTTPEndpoint, model: String, prompt: String, maxTokens: Int,
                            ignoreEOS: Bool = false, timeout: TimeInterval = 300) -> StreamedCompletion {
        var body: [String: JSONValue] = ["model": .string(model), "prompt": .string(prompt), "max_tokens": JSONValue.number(maxTokens),
                                         "temperature": JSONValue.number(0), "stream": .bool(true),
                                         "stream_options": .object(["include_usage": .bool(true)])]
        if ignoreEOS { body["ignore_eos"] = .bool(true) }
        let data = Data(JSONValue.object(body).compactText().utf8)
        let parser = SSEParser()
        let started = Date()
        do {
            let budget = maxTokens + tokenSlack
            let r = try HTTPClient.request(endpoint, method: "POST", path: "/v1/completions", body: data,
                                           headers: ["Content-Type": "application/json", "Accept": "text/event-stream"],
                                           timeout: timeout, maxBodyBytes: 16 << 20) { bytes, at in
                parser.feed(bytes, at: at)
                return parser.tokenEvents <= budget
            }
            var result = StreamedCompletion(status: r.status, ttft: parser.firstTokenAt.map { $0.timeIntervalSince(started) },
                                            total: r.finishedAt.timeIntervalSince(started), promptTokens: parser.promptTokens,
                                            completionTokens: parser.completionTokens, text: parser.text, error: nil)
            result.tokenEvents = parser.tokenEvents
            if parser.tokenEvents > budget {
                result.stoppedBecause = "cut by bench: more than \(budget) token events for max_tokens \(maxTokens)"
            } else if let why = r.stoppedEarly {
                result.stoppedBecause = "cut by bench: \(why)"
            }
            result.finished = r.status == 200 && parser.isFinished && result.stoppedBecause == nil
            let tokens = parser.completionTokens ?? parser.tokenEvents
            if tokens >= 2, let first = parser.firstTokenAt, let last = parser.lastTokenAt, last > first {
                result.decodeTokensPerS = Double(tokens - 1) / last.timeIntervalSince(first)
            }
            if r.status != 200 {
                result.error = "HTTP \(r.status): \(String(decoding: r.body.prefix(300), as: UTF8.self))"
            }
            return result
        } catch {
            // A reset after some events is a cut-off reply (the server died mid-stream), not a
            // failure to connect; the caller tells them apart by `tokenEvents`.
            var result = StreamedCompletion(status: 0, ttft: parser.firstTokenAt.map { $0.timeIntervalSince(started) },
                                            total: Date().timeIntervalSince(started), promptTokens: parser.promptTokens,
                                            completionTokens: parser.completionTokens, text: parser.text,
                                            error: parser.tokenEvents > 0 ? nil : "\(error)")
            result.tokenEvents = parser.tokenEvents
            if case HTTPError.timeout = error { result.stoppedBecause = "cut by bench: no end within \(Int(timeout)) s" }
            return result
        }
    }
}

/// Server-sent events, split on blank lines; `data: {json}` events from vLLM's stream.
final class SSEParser: @unchecked Sendable {
    // Sendable by hand: used from the one thread that reads the socket.
    private var buffer = Data()
    var firstTokenAt: Date?
    var lastTokenAt: Date?
    var promptTokens: Int?
    var completionTokens: Int?
    var text = ""
    var tokenEvents = 0
    var sawDone = false
    var sawUsage = false

    var isFinished: Bool {
        if sawDone && sawUsage { return true }
        if let declared = completionTokens, declared > 0 { return tokenEvents >= declared }
        return false
    }

    func feed(_ bytes: Data, at: Date) {
        buffer.append(bytes)
        while let range = buffer.range(of: Data("\n\n".utf8)) ?? buffer.range(of: Data("\r\n\r\n".utf8)) {
            let event = buffer[buffer.startIndex..<range.lowerBound]
            buffer.removeSubrange(buffer.startIndex..<range.upperBound)
            handle(String(decoding: event, as: UTF8.self), at: at)
        }
    }

    private func handle(_ event: String, at: Date) {
        for line in event.split(separator: "\n") {
            let l = line.trimmingCharacters(in: .whitespaces)
            guard l.hasPrefix("data:") else { continue }
            let payload = l.dropFirst(5).trimmingCharacters(in: .whitespaces)
            if payload == "[DONE]" { sawDone = true; continue }
            guard let obj = try? JSONLite.parse(Array(payload.utf8)), obj.object != nil else { continue }
            if let choices = obj["choices"]?.array, choices.allSatisfy({ $0.object != nil }) {
                for c in choices {
                    // A token event is a completion choice with a text field, even an empty one:
                    // ids a tokenizer cannot show (random-weight models) still are tokens. For chat,
                    // the first role-only delta is not a token.
                    let piece = c["text"]?.string ?? c["delta"]?["content"]?.string
                    guard let piece else { continue }
                    if firstTokenAt == nil { firstTokenAt = at }
                    lastTokenAt = at
                    tokenEvents += 1
                    text += piece
                }
            }
            if let usage = obj["usage"], usage.object != nil {
                sawUsage = true
                promptTokens = usage["prompt_tokens"]?.int ?? promptTokens
                completionTokens = usage["completion_tokens"]?.int ?? completionTokens
            }
        }
    }
}
