import Foundation
import ServerClient
import SystemProbes
import Basics

/// The GPU around a run, as nvidia-smi shows it: what was there before the start, the wait
/// until the server's memory is back after its stop, and what was left.
struct GPUWatch {
    let commands: CommandRunning
    let pollTimeout: TimeInterval

    init(_ env: BenchEnvironment) { commands = env.commands; pollTimeout = env.gpuPollTimeout }

    /// The GPU's compute processes now (empty without nvidia-smi).
    func processIDs() -> Set<Int> {
        guard case .ok(let inv) = GPUInventory.query(commands) else { return [] }
        return Set(inv.processes.map(\.pid))
    }

    /// After a stop: the port closes and the GPU memory comes back before the next start.
    /// `ignoring`: GPU processes that were there before the server started (the store's, another
    /// job's): they stay, and waiting for them would only burn `pollTimeout` on every run.
    func waitUntilClean(host: String, port: Int, ignoring: Set<Int> = []) {
        let deadline = Date().addingTimeInterval(30)
        while HTTPClient.isListening(host: host, port: port, timeout: 0.1) && Date() < deadline { usleep(20_000) }
        guard case .ok(let inv) = GPUInventory.query(commands), !inv.gpus.isEmpty else { return }
        let gpuDeadline = Date().addingTimeInterval(pollTimeout)
        var current = inv
        // Released = no compute process left on the GPU but those that were there before.
        while current.processes.contains(where: { !ignoring.contains($0.pid) }) && Date() < gpuDeadline {
            usleep(250_000)
            guard case .ok(let next) = GPUInventory.query(commands) else { break }
            current = next
        }
    }

    /// After a stop: what nvidia-smi says is left on the GPU (none of the server's between runs),
    /// naming what was there before the start apart.
    func recordAfterStop(_ r: inout RunRecord, before: Set<Int>) {
        guard case .ok(let inv) = GPUInventory.query(commands), !inv.gpus.isEmpty else { return }
        let left = inv.processes.filter { !before.contains($0.pid) }
        let stayed = inv.processes.filter { before.contains($0.pid) }
        var s = "\(inv.memoryUsedMiB) MiB used; \(left.count) compute process(es) of this server left"
        if !left.isEmpty { s += " (" + left.map { "\($0.name) pid \($0.pid) \($0.usedMiB) MiB" }.joined(separator: ", ") + ")" }
        if !stayed.isEmpty { s += "; there before the start: " + stayed.map { "\($0.name) pid \($0.pid) \($0.usedMiB) MiB" }.joined(separator: ", ") }
        r.gpuAfterStop = s
    }
}
