import Foundation
import SystemProbes
@testable import Bench
#if canImport(Glibc)
import Glibc
#endif

/// A server bench starts through `StubLauncher`: a real loopback HTTP listener in this process
/// (GET /v1/models, POST /v1/completions as a vLLM stream), with no interpreter behind it, so a
/// run takes milliseconds. It does what its script says: answer after a while, end before
/// ready, cut its first reply off, log the lines a vLLM start logs.
public final class StubServer: ContainedServer, @unchecked Sendable {
    // Sendable by hand: mutable state behind `lock`; the listener thread owns its socket.
    public let startedAt = Date()
    public let service: String
    public let port: Int
    let script: StubScript
    private let lock = NSLock()
    private var stoppedAt: Date?
    private var lines: [TimedLine] = []
    private var served: [String] = []
    private let done = DispatchSemaphore(value: 0)

    init(name: String, port: Int, script: StubScript, onLine: (@Sendable (TimedLine) -> Void)?) throws {
        service = name; self.port = port; self.script = script
        for text in script.lines {
            let line = TimedLine(stream: .stderr, arrival: Date(), text: text)
            lines.append(line)
            onLine?(line)
        }
        let thread = Thread { [self] in serve(); done.signal() }
        thread.start()
    }

    /// The requests it answered, as "METHOD /path" (a completion with its max_tokens).
    public var requests: [String] { lock.lock(); defer { lock.unlock() }; return served }
    public var wasStopped: Bool { lock.lock(); defer { lock.unlock() }; return stoppedAt != nil }

    public func ended() -> String? {
        guard let after = script.exitAfter, Date().timeIntervalSince(startedAt) >= after else { return nil }
        return "exited with status \(script.exitStatus)"
    }

    public var logLines: [TimedLine] { lock.lock(); defer { lock.unlock() }; return lines }
    public var pidForCleanup: pid_t? { nil }

    public func stop(grace: TimeInterval) -> String {
        lock.lock()
        let first = stoppedAt == nil
        if first { stoppedAt = Date() }
        lock.unlock()
        if first { done.wait() }
        return "SIGTERM, exit 0"
    }

    public func environment() -> [String: String]? { script.containerEnvironment }

    private var stopping: Bool { lock.lock(); defer { lock.unlock() }; return stoppedAt != nil }

    /// Until stopped (or ended): waits out `readyAfter`, then listens and answers one request per connection.
    private func serve() {
        guard let readyAfter = script.readyAfter else { while !stopping { usleep(2_000) }; return }
        while !stopping, ended() == nil, Date().timeIntervalSince(startedAt) < readyAfter { usleep(1_000) }
        guard !stopping, ended() == nil, let fd = listen() else { return }
        defer { close(fd) }
        while !stopping, ended() == nil {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 5) > 0 else { continue }
            let c = accept(fd, nil, nil)
            guard c >= 0 else { continue }
            answer(c)
            close(c)
        }
    }

    private func listen() -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 16) == 0 else { close(fd); return nil }
        return fd
    }

    private func answer(_ c: Int32) {
        guard let (head, body) = readRequest(c) else { return }
        let first = head.split(separator: "\r\n").first.map(String.init) ?? ""
        let parts = first.split(separator: " ")
        guard parts.count >= 2 else { return }
        let method = String(parts[0]), path = String(parts[1])
        if method == "GET", path == "/v1/models" {
            record("GET /v1/models")
            send(c, status: 200, type: "application/json", #"{"object":"list","data":[{"id":"stub-model","object":"model"}]}"#)
        } else if method == "POST", path == "/v1/completions" {
            let maxTokens = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["max_tokens"] as? Int ?? 0
            record("POST /v1/completions max_tokens=\(maxTokens)")
            complete(c, maxTokens: maxTokens)
        } else {
            record("\(method) \(path)")
            send(c, status: 404, type: "application/json", #"{"detail":"Not Found"}"#)
        }
    }

    private func complete(_ c: Int32, maxTokens: Int) {
        let tokens: Int
        switch script.completion {
        case .status(let s): send(c, status: s, type: "application/json", #"{"error":"stub"}"#); return
        case .tokens(let n): tokens = min(n, max(1, maxTokens))
        case .cutOff(let n): tokens = n
        }
        write(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
        for i in 0..<tokens {
            if i > 0, script.tokenInterval > 0 { usleep(UInt32(script.tokenInterval * 1_000_000)) }
            write(c, "data: {\"choices\":[{\"index\":0,\"text\":\"t\(i)\"}]}\n\n")
        }
        if case .cutOff = script.completion { return }
        write(c, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":\(tokens),\"total_tokens\":\(7 + tokens)}}\n\n")
        write(c, "data: [DONE]\n\n")
    }

    private func record(_ request: String) { lock.lock(); served.append(request); lock.unlock() }

    private func readRequest(_ c: Int32) -> (String, Data)? {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline {
            if let end = data.range(of: Data("\r\n\r\n".utf8)) {
                let head = String(decoding: data[..<end.lowerBound], as: UTF8.self)
                let length = head.split(separator: "\r\n").compactMap { line -> Int? in
                    let kv = line.split(separator: ":", maxSplits: 1)
                    guard kv.count == 2, kv[0].lowercased() == "content-length" else { return nil }
                    return Int(kv[1].trimmingCharacters(in: .whitespaces))
                }.first ?? 0
                if data.count - end.upperBound >= length { return (head, Data(data[end.upperBound...].prefix(length))) }
            }
            var p = pollfd(fd: c, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) > 0 else { continue }
            let n = read(c, &buffer, buffer.count)
            guard n > 0 else { return nil }
            data.append(contentsOf: buffer[0..<n])
        }
        return nil
    }

    private func send(_ c: Int32, status: Int, type: String, _ body: String) {
        write(c, "HTTP/1.1 \(status) STUB\r\nContent-Type: \(type)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
    }

    private func write(_ c: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }
}
