import Foundation
import ServerClient
import SystemProbes
import Basics

/// The measured part of a run: ready (GET /v1/models answers), the first streamed completion,
/// and the decode probe when the plan has one.
struct FirstCompletion {
    let bench: BenchRunner
    var plan: BenchPlan { bench.plan }
    var interrupt: InterruptFlag { bench.interrupt }

    /// From the start to ready and through the first completion; a crash, a timeout or an
    /// interrupt instead goes into the record.
    func measure(_ run: RunContext, _ server: ServerHandle) {
        let endpoint = HTTPEndpoint(host: plan.host, port: run.variant.port)
        switch ReadinessPoller.wait(endpoint: endpoint, serverEnded: { server.ended() }, timeout: plan.readyTimeout, interrupted: { interrupt.isSet }) {
        case .ready(let at, let modelID):
            run.record.readyMs = at.timeIntervalSince(server.startedAt) * 1000
            run.log("completing")
            let model = modelID ?? plan.model ?? ""
            apply(StreamedCompletion.send(endpoint: endpoint, model: model, prompt: plan.prompt, maxTokens: plan.maxTokens), to: &run.record)
            if run.record.outcome == .ok { probeDecode(endpoint, model: model, &run.record) }
            if run.record.outcome == .cutOff, let why = server.ended() { run.record.diagnosis = (run.record.diagnosis ?? "") + "; the server \(why)" }
        case .ended(let why, let at):
            run.record.outcome = .crashLoop
            run.record.exitStatus = why
            run.record.crashSeenMs = at.timeIntervalSince(server.startedAt) * 1000
        case .timedOut:
            run.record.outcome = .timeout
            run.record.diagnosis = "not ready after \(Int(plan.readyTimeout)) s"
        case .interrupted:
            run.record.outcome = .interrupted
        }
    }

    func apply(_ c: StreamedCompletion, to r: inout RunRecord) {
        r.ttftMs = c.ttft.map { $0 * 1000 }
        r.firstCompletionS = c.total
        r.promptTokens = c.promptTokens
        r.completionTokens = c.completionTokens
        if interrupt.isSet {
            r.outcome = .interrupted
            if !c.finished { r.diagnosis = "interrupted during the first completion (\(c.cutOffSummary))" }
        } else if let e = c.error {
            r.outcome = .failed; r.diagnosis = "completion failed: \(e)"
        } else if !c.finished {
            r.outcome = .cutOff
            r.diagnosis = "first completion cut off: \(c.cutOffSummary); not counted"
        }
    }

    /// The fixed-length decode probe: what a start-up knob costs once the server is up.
    func probeDecode(_ endpoint: HTTPEndpoint, model: String, _ r: inout RunRecord) {
        guard let n = plan.decodeProbeTokens, !interrupt.isSet else { return }
        let d = StreamedCompletion.send(endpoint: endpoint, model: model, prompt: plan.prompt, maxTokens: n, ignoreEOS: true)
        if d.error == nil && d.finished, let rate = d.decodeTokensPerS {
            r.decodeTokensPerS = rate
        } else {
            r.note = [r.note, "decode probe failed: \(d.error ?? d.cutOffSummary)"].compactMap { $0 }.joined(separator: "; ")
        }
    }
}
