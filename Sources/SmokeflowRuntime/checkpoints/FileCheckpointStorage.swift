public import Foundation
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Checkpoints as `DIRECTORY/<name>.json`, written as a temporary file, fsync, rename and an
/// fsync of the directory, on the NIO thread pool (these are blocking calls).
public struct FileCheckpointStorage: CheckpointStorage {
    public let directory: String

    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
    }

    public var description: String { directory }

    func path(_ name: String) -> String { directory + "/" + name + ".json" }

    public func load(_ name: String) async throws -> Data? {
        let path = path(name)
        return try await NIOThreadPool.singleton.runIfActive { FileManager.default.contents(atPath: path) }
    }

    public func save(_ name: String, _ document: Data) async throws {
        let path = path(name)
        try await NIOThreadPool.singleton.runIfActive {
            let temporary = path + ".tmp"
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw CheckpointStorageError("\(temporary): cannot open") }
            let written = document.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            let synced = fsync(descriptor)
            close(descriptor)
            guard written == document.count, synced == 0 else { throw CheckpointStorageError("\(temporary): write failed") }
            guard rename(temporary, path) == 0 else { throw CheckpointStorageError("\(path): rename failed") }
            let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
            if directory >= 0 {
                fsync(directory)
                close(directory)
            }
        }
    }
}
