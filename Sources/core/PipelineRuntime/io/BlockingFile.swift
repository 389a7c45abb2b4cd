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

    /// Writes every byte (retrying short writes), so a file never ends in half a line.
    public func write(_ bytes: ByteBuffer) async throws {
        try await NIOThreadPool.singleton.runIfActive { [descriptor, path] in
            try bytes.withUnsafeReadableBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw EventModel.IOError(errno, "write", path: path)
                    }
                    offset += written
                }
            }
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
