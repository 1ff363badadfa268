import DoctorCore
import SystemProbes
import Runbook
import Basics

/// The benchmark ports are free: a server already answering there would be timed instead
/// of the one the benchmark starts.
public struct RuntimePortsCheck: Check {
    public let id = "runtime.ports"
    public let title = "benchmark ports are free"
    public let dependsOn = ["env.values"]
    public init() {}

    public func run(_ context: RunbookFacts) throws -> CheckResult {
        let ports = context.portVariables.compactMap { k, v in Int(v).map { (k, $0) } }
        guard !ports.isEmpty else { return .skip("no *_PORT variable in .env") }
        var evidence = Evidence()
        var busy: [String] = []
        for (key, port) in ports {
            let listening = HTTPClient.isListening(host: "127.0.0.1", port: port, timeout: 0.3)
            evidence[key] = "\(port) \(listening ? "in use" : "free")"
            if listening { busy.append("\(key)=\(port)") }
        }
        if !busy.isEmpty {
            return .fail("something already listens on \(busy.joined(separator: ", "))", evidence: evidence,
                         fix: "find it with `ss -ltnp` and stop it (or docker rm -f the old container)")
        }
        return .pass(ports.map { "\($0.1)" }.joined(separator: ", ") + " free", evidence: evidence)
    }
}
