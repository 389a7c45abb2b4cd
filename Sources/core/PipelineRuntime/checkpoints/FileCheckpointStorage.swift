public import Foundation
import EventModel
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Checkpoints as `DIRECTORY/<name>.json`, replaced durably (`DurableFile`) on the NIO thread
/// pool. The directory is created by the first save, so validating a file creates nothing.
/// The directory belongs to one host, so its names need no agent (PostgreSQL's rows do).
public struct FileCheckpointStorage: CheckpointStorage {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public var description: String { directory }

    func path(_ name: String) -> String { directory + "/" + name + ".json" }

    public func location(of name: String) -> String { path(name) }

    public func resetAdvice(for name: String) -> String { "delete \(path(name))" }

    /// Only a missing file is "no checkpoint": a file that cannot be read (permissions, an I/O
    /// error, a directory in its place) is an error naming it, or its history would be skipped or re-sent.
    public func load(_ name: String) async throws -> Data? {
        let path = path(name)
        return try await NIOThreadPool.singleton.runIfActive { () throws -> Data? in
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                if errno == ENOENT { return nil }
                throw IOError(errno, "open", path: path)
            }
            defer { Glibc.close(descriptor) }
            var data = Data()
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw IOError(errno, "read", path: path)
                }
                if count == 0 { return data }
                data.append(contentsOf: chunk[..<count])
            }
        }
    }

    public func save(_ name: String, _ document: Data) async throws {
        try await DurableFile.replace(path(name), with: [UInt8](document))
    }
}
