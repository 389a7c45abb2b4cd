public import Foundation
import NIOPosix

/// Checkpoints as `DIRECTORY/<name>.json`, replaced durably (`DurableFile`) on the NIO thread
/// pool. The directory is created by the first save, so validating a file creates nothing.
public struct FileCheckpointStorage: CheckpointStorage {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public var description: String { directory }

    func path(_ name: String) -> String { directory + "/" + name + ".json" }

    public func load(_ name: String) async throws -> Data? {
        let path = path(name)
        return try await NIOThreadPool.singleton.runIfActive { FileManager.default.contents(atPath: path) }
    }

    public func save(_ name: String, _ document: Data) async throws {
        try await DurableFile.replace(path(name), with: [UInt8](document))
    }
}
