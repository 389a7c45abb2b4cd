public import EventModel
import NIOPosix

extension DurableFile {
    /// `replace` on the thread pool.
    public static func replace(_ path: String, with bytes: [UInt8]) async throws {
        try await NIOThreadPool.singleton.runIfActive { try replace(path, with: bytes, mode: 0o644) }
    }
}
