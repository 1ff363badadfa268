#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Why a Unix socket could not be talked to, in the words a fix needs.
public enum UnixSocketError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(String)
    case notASocket(String)
    case permissionDenied(String)
    /// Nothing accepts on it (a socket file left by an engine that stopped).
    case refused(String)
    case timeout(String)
    case other(String)

    public var description: String {
        switch self {
        case .missing(let p): return "no \(p)"
        case .notASocket(let p): return "\(p) is not a socket"
        case .permissionDenied(let p): return "permission denied on \(p)"
        case .refused(let p): return "nothing answers on \(p) (connection refused)"
        case .timeout(let s), .other(let s): return s
        }
    }
}

extension HTTPClient {
    /// One HTTP/1.1 exchange over a Unix stream socket (the Docker engine's API), with the
    /// same parser as TCP requests. The whole exchange, connect included, ends by `timeout`;
    /// the body is refused past `maxBody` bytes.
    public static func request(unixSocket socketPath: String, method: String = "GET", path: String,
                               timeout: TimeInterval, maxBody: Int = 4 << 20) throws(UnixSocketError) -> HTTPResponse {
        let deadline = Date().addingTimeInterval(timeout)
        let limitText = timeout >= 1 && timeout == timeout.rounded() ? "\(Int(timeout)) s" : "\(Int(timeout * 1000)) ms"
        var st = stat()
        guard stat(socketPath, &st) == 0 else {
            switch errno {
            case ENOENT: throw .missing(socketPath)
            case EACCES: throw .permissionDenied(socketPath)
            default: throw .other("\(socketPath): \(String(cString: strerror(errno)))")
            }
        }
        guard (st.st_mode & S_IFMT) == S_IFSOCK else { throw .notASocket(socketPath) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw .other("\(socketPath): path too long for a socket") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in pathBytes.enumerated() { raw[i] = b }
            raw[pathBytes.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw .other("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 {
            switch errno {
            case EINPROGRESS, EAGAIN:
                // The listener's backlog is full: wait for room until the deadline.
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let wait = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
                guard poll(&pfd, 1, wait) == 1 else { throw .timeout("\(socketPath) did not accept within \(limitText)") }
                var err: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                if err != 0 { throw Self.connectError(err, socketPath) }
            default:
                throw Self.connectError(errno, socketPath)
            }
        }
        let head = "\(method) \(path) HTTP/1.1\r\nHost: docker\r\nConnection: close\r\nUser-Agent: sllm-doctor\r\n\r\n"
        let sentAt = Date()
        do { try sendAll(fd, Data(head.utf8), deadline: deadline) }
        catch { throw .timeout("\(method) \(path) on \(socketPath): no answer within \(limitText)") }
        var parser = ResponseParser()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var firstBodyAt: Date?
        while !parser.isComplete {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw .timeout("\(method) \(path) on \(socketPath): no answer within \(limitText)") }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let pr = poll(&pfd, 1, Int32(remaining * 1000) + 1)
            if pr < 0 { if errno == EINTR { continue }; throw .other(String(cString: strerror(errno))) }
            if pr == 0 { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 { if errno == EINTR || errno == EAGAIN { continue }; throw .other("\(socketPath): \(String(cString: strerror(errno)))") }
            if n == 0 {
                do { try parser.finishAtEOF() } catch { throw .other("\(socketPath): the connection closed before an answer") }
                break
            }
            do {
                if !(try parser.feed(buffer[0..<n])).isEmpty, firstBodyAt == nil { firstBodyAt = Date() }
            } catch { throw .other("\(socketPath): \(error)") }
            if parser.body.count > maxBody { throw .other("\(method) \(path) on \(socketPath): more than \(maxBody >> 20) MiB in the answer") }
        }
        guard let status = parser.status else { throw .other("\(socketPath): no status line") }
        return HTTPResponse(status: status, headers: parser.headers, body: parser.body, sentAt: sentAt,
                            firstBodyByteAt: firstBodyAt, finishedAt: Date())
    }

    static func connectError(_ code: Int32, _ path: String) -> UnixSocketError {
        switch code {
        case EACCES, EPERM: return .permissionDenied(path)
        case ECONNREFUSED: return .refused(path)
        case ENOENT: return .missing(path)
        case ENOTSOCK: return .notASocket(path)
        default: return .other("\(path): \(String(cString: strerror(code)))")
        }
    }
}
