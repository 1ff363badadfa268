#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Basics

public enum HTTPError: Error, CustomStringConvertible, Equatable {
    case badURL(String)
    case resolve(String)
    case connect(String)
    case timeout(String)
    case protocolError(String)
    public var description: String {
        switch self {
        case .badURL(let s): return "bad URL: \(s) (expected http://HOST:PORT/PATH)"
        case .resolve(let s): return "cannot resolve \(s)"
        case .connect(let s): return "cannot connect: \(s)"
        case .timeout(let s): return "timed out: \(s)"
        case .protocolError(let s): return "bad HTTP response: \(s)"
        }
    }
}

public struct HTTPEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var basePath: String

    public init(host: String, port: Int, basePath: String = "") {
        self.host = host; self.port = port; self.basePath = basePath
    }

    /// Parses `http://host:port[/base]`.
    public init(url: String) throws {
        guard url.hasPrefix("http://") else { throw HTTPError.badURL(url) }
        var rest = url.dropFirst("http://".count)
        var base = ""
        if let slash = rest.firstIndex(of: "/") {
            base = String(rest[slash...]); rest = rest[..<slash]
            while base.hasSuffix("/") { base.removeLast() }
        }
        let hostPort = rest.split(separator: ":", maxSplits: 1)
        guard let host = hostPort.first, !host.isEmpty else { throw HTTPError.badURL(url) }
        var port = 80
        if hostPort.count == 2 {
            guard let p = Int(hostPort[1]), (1...65535).contains(p) else { throw HTTPError.badURL(url) }
            port = p
        }
        self.init(host: String(host), port: port, basePath: base)
    }
}

/// The answer to one request, with timings taken on this side of the socket.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data
    public var sentAt: Date
    /// When the first body byte arrived (nil for an empty body).
    public var firstBodyByteAt: Date?
    /// When the last byte arrived (the connection closed or the body completed).
    public var finishedAt: Date
    /// Why the body was not read to its end (its reader or the size budget stopped it), if so.
    public var stoppedEarly: String? = nil
}

/// A small HTTP/1.1 client over a plain TCP socket. Enough for vLLM's OpenAI API on
/// loopback: `Connection: close`, Content-Length and chunked bodies, streamed delivery of body
/// bytes with their arrival times (for TTFT).
public enum HTTPClient {
    /// True if something accepts TCP connections on host:port.
    public static func isListening(host: String = "127.0.0.1", port: Int, timeout: TimeInterval = 0.3) -> Bool {
        guard let fd = try? connect(host: host, port: port, timeout: timeout) else { return false }
        close(fd)
        return true
    }

    public static func request(_ endpoint: HTTPEndpoint, method: String, path: String,
                               body: Data? = nil, headers: [String: String] = [:],
                               timeout: TimeInterval, maxBodyBytes: Int = 64 << 20,
                               onBody: ((Data, Date) -> Bool)? = nil) throws -> HTTPResponse {
        let deadline = Date().addingTimeInterval(timeout)
        let fd = try connect(host: endpoint.host, port: endpoint.port, timeout: timeout)
        defer { close(fd) }
        var head = "\(method) \(endpoint.basePath)\(path) HTTP/1.1\r\nHost: \(endpoint.host):\(endpoint.port)\r\nConnection: close\r\nUser-Agent: sllm-doctor\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        var payload = Data(head.utf8)
        if let body { payload.append(body) }
        let sentAt = Date()
        try sendAll(fd, payload, deadline: deadline)

        var parser = ResponseParser()
        var firstBodyAt: Date?
        var stoppedEarly: String?
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !parser.isComplete {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw HTTPError.timeout("\(method) \(path) after \(Int(timeout * 1000)) ms") }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let pr = poll(&pfd, 1, Int32(min(remaining, 1.0) * 1000) + 1)
            if pr < 0 { if errno == EINTR { continue }; throw HTTPError.connect(String(cString: strerror(errno))) }
            if pr == 0 { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 { if errno == EINTR { continue }; throw HTTPError.connect(String(cString: strerror(errno))) }
            let now = Date()
            if n == 0 { try parser.finishAtEOF(); break }
            let decoded = try parser.feed(buffer[0..<n])
            if !decoded.isEmpty {
                if firstBodyAt == nil { firstBodyAt = now }
                // The reader has what it asked for (a stream past its budget): hang up.
                if onBody?(decoded, now) == false { stoppedEarly = "the reader stopped the body"; break }
            }
            // A body that never ends must not grow without limit.
            if parser.body.count > maxBodyBytes { stoppedEarly = "the body passed \(maxBodyBytes) bytes"; break }
        }
        guard let status = parser.status else { throw HTTPError.protocolError("no status line") }
        return HTTPResponse(status: status, headers: parser.headers, body: parser.body, sentAt: sentAt,
                            firstBodyByteAt: firstBodyAt, finishedAt: Date(), stoppedEarly: stoppedEarly)
    }

    public static func get(_ endpoint: HTTPEndpoint, _ path: String, timeout: TimeInterval) throws -> HTTPResponse {
        try request(endpoint, method: "GET", path: path, timeout: timeout)
    }

    static func connect(host: String, port: Int, timeout: TimeInterval) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        let name = host == "localhost" ? "127.0.0.1" : host
        guard getaddrinfo(name, String(port), &hints, &res) == 0, let first = res else {
            throw HTTPError.resolve(host)
        }
        defer { freeaddrinfo(res) }
        var lastError = "no address"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            let fd = socket(a.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            if fd >= 0 {
                let flags = fcntl(fd, F_GETFL)
                _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                let rc = Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen)
                if rc == 0 || errno == EINPROGRESS {
                    var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    if poll(&pfd, 1, Int32(timeout * 1000)) == 1 {
                        var err: Int32 = 0
                        var len = socklen_t(MemoryLayout<Int32>.size)
                        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                        if err == 0 && !isSelfConnected(fd) { return fd }
                        lastError = err == 0 ? "nothing listens (the socket met itself)" : String(cString: strerror(err))
                    } else {
                        lastError = "no answer within \(Int(timeout * 1000)) ms"
                    }
                } else {
                    lastError = String(cString: strerror(errno))
                }
                close(fd)
            }
            ai = a.pointee.ai_next
        }
        throw HTTPError.connect("\(host):\(port): \(lastError)")
    }

    /// A connect to a free port of the ephemeral range can pick that same port for its own end
    /// and succeed with itself (TCP simultaneous open): nothing listens there, and a request
    /// would read itself back.
    static func isSelfConnected(_ fd: Int32) -> Bool {
        var local = sockaddr_storage(), peer = sockaddr_storage()
        var localLength = socklen_t(MemoryLayout<sockaddr_storage>.size), peerLength = localLength
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &localLength) }
        }
        let peered = withUnsafeMutablePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &peerLength) }
        }
        guard named == 0, peered == 0, localLength == peerLength else { return false }
        return memcmp(&local, &peer, Int(localLength)) == 0
    }

    static func sendAll(_ fd: Int32, _ data: Data, deadline: Date) throws {
        var offset = 0
        let bytes = [UInt8](data)
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 { offset += n; continue }
            if errno == EAGAIN || errno == EINTR {
                guard Date() < deadline else { throw HTTPError.timeout("sending request") }
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pfd, 1, 100)
                continue
            }
            throw HTTPError.connect(String(cString: strerror(errno)))
        }
    }
}

/// Incremental HTTP/1.1 response parser: status line, headers, then a Content-Length,
/// chunked or read-until-close body. `feed` returns the body bytes decoded from that input.
struct ResponseParser {
    var status: Int?
    var headers: [String: String] = [:]
    var body = Data()
    var isComplete = false
    private var headBuffer = [UInt8]()
    private var inBody = false
    private var contentLength: Int?
    private var chunked = false
    private var chunkBuffer = [UInt8]()
    private var chunkRemaining = 0      // bytes left in the current chunk's data
    private var awaitingChunkCRLF = false

    mutating func feed(_ bytes: ArraySlice<UInt8>) throws -> Data {
        var input = bytes
        if !inBody {
            headBuffer.append(contentsOf: input)
            guard let end = findHeaderEnd(headBuffer) else { return Data() }
            try parseHead(Array(headBuffer[..<end]))
            input = ArraySlice(headBuffer[(end + 4)...])
            headBuffer = []
            inBody = true
            if contentLength == 0 { isComplete = true; return Data() }
        }
        if chunked { return try feedChunked(input) }
        let data = Data(input)
        body.append(data)
        if let contentLength, body.count >= contentLength { isComplete = true }
        return data
    }

    mutating func finishAtEOF() throws {
        if !inBody { throw HTTPError.protocolError("connection closed before the headers ended") }
        isComplete = true
    }

    private func findHeaderEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 {
            return i
        }
        return nil
    }

    private mutating func parseHead(_ b: [UInt8]) throws {
        // Lines split on bytes and trimmed in plain Swift, not with Foundation's
        // components/trimmingCharacters (NSString): on check's path (the engine's /_ping) those
        // cost more than the exchange itself.
        var lines = b.split(separator: 10, omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == 13 ? line.dropLast() : line, as: UTF8.self)
        }
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else {
            throw HTTPError.protocolError("status line '\(statusLine)'")
        }
        status = code
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingSpaces().lowercased()
            headers[key] = line[line.index(after: colon)...].trimmingSpaces()
        }
        chunked = headers["transfer-encoding"]?.lowercased().contains("chunked") ?? false
        contentLength = chunked ? nil : headers["content-length"].flatMap { Int($0) }
    }

    private mutating func feedChunked(_ input: ArraySlice<UInt8>) throws -> Data {
        chunkBuffer.append(contentsOf: input)
        var out = Data()
        var i = 0
        while i < chunkBuffer.count && !isComplete {
            if chunkRemaining > 0 {
                let take = min(chunkRemaining, chunkBuffer.count - i)
                out.append(contentsOf: chunkBuffer[i..<(i + take)])
                chunkRemaining -= take
                i += take
                if chunkRemaining == 0 { awaitingChunkCRLF = true }
                continue
            }
            // A size line (or the CRLF after a chunk's data): needs a full line.
            guard let nl = chunkBuffer[i...].firstIndex(of: 10) else { break }
            let line = String(decoding: chunkBuffer[i..<nl], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            i = nl + 1
            if awaitingChunkCRLF { awaitingChunkCRLF = false; if line.isEmpty { continue } }
            let sizeText = line.split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText, radix: 16) else {
                throw HTTPError.protocolError("chunk size '\(line)'")
            }
            if size == 0 { isComplete = true; break }
            chunkRemaining = size
        }
        chunkBuffer.removeFirst(i)
        body.append(out)
        return out
    }
}
