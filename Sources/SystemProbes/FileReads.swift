import CShims
import Foundation
import Glibc
import Basics

/// How fast files come off the disk and out of the page cache, and how much of a file the
/// page cache already holds: the floor under a server's weight loading and imports.
public enum FileReads {
    public struct Timing: Sendable, Equatable {
        public var bytes: UInt64
        public var seconds: Double
        public var bytesPerSecond: Double { seconds > 0 ? Double(bytes) / seconds : 0 }
    }

    public enum ReadError: Error, CustomStringConvertible {
        case open(String, String)
        case read(String, String)
        public var description: String {
            switch self {
            case .open(let p, let why): "\(p): cannot open (\(why))"
            case .read(let p, let why): "\(p): read failed (\(why))"
            }
        }
    }

    /// Reads the files whole. `direct`: with O_DIRECT, from the disk whatever the page cache
    /// holds (the cold floor; a tail that is not a whole block is read through the cache).
    /// Otherwise through the page cache (the warm floor, once the files are cached).
    public static func read(_ paths: [String], direct: Bool, chunk: Int = 16 << 20) throws -> Timing {
        var buffer: UnsafeMutableRawPointer?
        guard posix_memalign(&buffer, 4096, chunk) == 0, let buffer else { throw ReadError.read("-", "no aligned buffer") }
        defer { free(buffer) }
        var total: UInt64 = 0
        let started = Date()
        for path in paths {
            let fd = open(path, O_RDONLY | O_CLOEXEC | (direct ? cshims_o_direct() : 0))
            guard fd >= 0 else { throw ReadError.open(path, String(cString: strerror(errno))) }
            defer { close(fd) }
            var offset: off_t = 0
            while true {
                var n = pread(fd, buffer, chunk, offset)
                if n < 0 && direct && errno == EINVAL {
                    // The unaligned tail: finish it through the page cache.
                    let plain = open(path, O_RDONLY | O_CLOEXEC)
                    guard plain >= 0 else { throw ReadError.open(path, String(cString: strerror(errno))) }
                    n = pread(plain, buffer, chunk, offset)
                    close(plain)
                }
                if n < 0 { throw ReadError.read(path, String(cString: strerror(errno))) }
                if n == 0 { break }
                total += UInt64(n)
                offset += off_t(n)
            }
        }
        return Timing(bytes: total, seconds: Date().timeIntervalSince(started))
    }

    /// Bytes of the file in the page cache now (mincore over a read-only mapping), and its size.
    /// Mapping does not read the file: the answer is what was there before we asked.
    public static func resident(_ path: String) -> (resident: UInt64, size: UInt64)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        let size = UInt64(st.st_size)
        guard size > 0 else { return (0, 0) }
        guard let map = mmap(nil, Int(size), PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else { return nil }
        defer { munmap(map, Int(size)) }
        let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
        let pages = Int((size + page - 1) / page)
        var vec = [UInt8](repeating: 0, count: pages)
        guard mincore(map, Int(size), &vec) == 0 else { return nil }
        let residentPages = vec.reduce(0) { $0 + UInt64($1 & 1) }
        return (min(size, residentPages * page), size)
    }
}
