import DoctorCore
import Foundation
import ServerClient
import Startup
import SystemProbes
import Runbook
import Basics

/// Writes each line with its arrival time (ISO 8601, milliseconds), as it comes.
final class LogSink: @unchecked Sendable {
    // Sendable by hand: writes are serialised by `lock`.
    let path: String?
    private let handle: FileHandle?
    private let lock = NSLock()
    private let redact: Redactor
    /// A run's log on disk stops growing here; the rest is counted in one closing line.
    static let maxBytes = 64 << 20
    private var written = 0
    private var cut = 0
    init(path: String?, redact: Redactor) {
        self.path = path
        self.redact = redact
        // OutputFile's rule: never a device, FIFO or link at the log's name (nil, as when the
        // folder cannot be written).
        if let path, let fd = try? OutputFile.openForWriting(path) {
            handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        } else { handle = nil }
    }
    func write(_ line: TimedLine) {
        guard let handle else { return }
        let text = "\(isoMillis(line.arrival)) \(line.stream == .stderr ? "E" : "O") \(redact(line.text))\n"
        lock.lock(); defer { lock.unlock() }
        if written + text.utf8.count > Self.maxBytes { cut += text.utf8.count; return }
        written += text.utf8.count
        handle.write(Data(text.utf8))
    }
    func close() {
        lock.lock(); defer { lock.unlock() }
        if cut > 0 { handle?.write(Data("\(isoMillis(Date())) E [sllm-doctor] log stopped at \(Self.maxBytes) bytes (\(cut) bytes cut)\n".utf8)) }
        try? handle?.close()
    }
}
