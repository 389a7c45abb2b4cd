import EventModel
public import NIOCore
import NIOPosix
#if canImport(Glibc)
public import Glibc
#endif

/// A POSIX file whose blocking calls run on NIO's thread pool, never on the cooperative pool.
public final class BlockingFile: Sendable {
    public let path: String
    public let descriptor: Int32
    private let ownsDescriptor: Bool

    private init(path: String, descriptor: Int32, ownsDescriptor: Bool) {
        self.path = path
        self.descriptor = descriptor
        self.ownsDescriptor = ownsDescriptor
    }

    public static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) async throws -> BlockingFile {
        try await NIOThreadPool.singleton.runIfActive {
            let descriptor = Glibc.open(path, flags | O_CLOEXEC, mode)
            guard descriptor >= 0 else { throw EventModel.IOError(errno, "open", path: path) }
            return BlockingFile(path: path, descriptor: descriptor, ownsDescriptor: true)
        }
    }

    public static let standardOutput = BlockingFile(path: "<stdout>", descriptor: 1, ownsDescriptor: false)

    deinit {
        if ownsDescriptor { Glibc.close(descriptor) }
    }

    /// Reads up to `count` bytes; an empty array means end of file.
    public func read(upTo count: Int) async throws -> [UInt8] {
        try await NIOThreadPool.singleton.runIfActive { [descriptor, path] in
            var bytes = [UInt8](repeating: 0, count: count)
            let got = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, count) }
            guard got >= 0 else { throw EventModel.IOError(errno, "read", path: path) }
            bytes.removeLast(count - got)
            return bytes
        }
    }

    /// Writes every byte (retrying short writes). When the write fails part way (disk full, a
    /// size limit), a regular file is cut back to where this write began, so it never ends in
    /// half a line that a later append would glue to the next.
    public func write(_ bytes: ByteBuffer) async throws {
        try await NIOThreadPool.singleton.runIfActive { [descriptor, path] in
            let start = lseek(descriptor, 0, SEEK_END)  // -1 for pipes and terminals: nothing to cut back
            try bytes.withUnsafeReadableBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        let error = EventModel.IOError(errno, "write", path: path)
                        if offset > 0 && start >= 0 { _ = ftruncate(descriptor, start) }
                        throw error
                    }
                    offset += written
                }
            }
        }
    }

    /// Cuts a torn last line (a crash or power loss in the middle of a write) off the end of a
    /// regular file; returns how many bytes it removed.
    public func removeTornLastLine() async throws -> Int {
        try await NIOThreadPool.singleton.runIfActive { [descriptor, path] in
            let size = lseek(descriptor, 0, SEEK_END)
            guard size > 0 else { return 0 }
            var end = size
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while end > 0 {
                let start = max(0, end - off_t(chunk.count))
                let count = Int(end - start)
                let got = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, start) }
                guard got == count else { throw EventModel.IOError(got < 0 ? errno : EIO, "read", path: path) }
                if let newline = chunk[0..<count].lastIndex(of: UInt8(ascii: "\n")) {
                    let keep = start + off_t(newline) + 1
                    if keep == size { return 0 }
                    guard ftruncate(descriptor, keep) == 0 else { throw EventModel.IOError(errno, "ftruncate", path: path) }
                    return Int(size - keep)
                }
                end = start
            }
            guard ftruncate(descriptor, 0) == 0 else { throw EventModel.IOError(errno, "ftruncate", path: path) }
            return Int(size)
        }
    }

    /// Makes what was written durable. Pipes and terminals cannot be synced; that is not an error.
    public func sync() async throws {
        try await NIOThreadPool.singleton.runIfActive { [descriptor, path] in
            if fsync(descriptor) != 0 && errno != EINVAL && errno != EROFS {
                throw EventModel.IOError(errno, "fsync", path: path)
            }
        }
    }

    public static func rename(_ from: String, to: String) async throws {
        try await NIOThreadPool.singleton.runIfActive {
            guard Glibc.rename(from, to) == 0 else { throw EventModel.IOError(errno, "rename", path: to) }
            try DurableFile.syncDirectory(of: to)
        }
    }

    public static func remove(_ path: String) {
        unlink(path)
    }
}
