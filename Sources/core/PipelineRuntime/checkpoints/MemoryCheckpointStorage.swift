public import Foundation
public import PipelineRuntime
import Synchronization

/// Checkpoints that live for one job run: a source that keeps positions (the `rrd` source)
/// reads its range afresh on every run, which is what a rerun of a window needs.
public final class MemoryCheckpointStorage: CheckpointStorage {
    private let documents = Mutex<[String: Data]>([:])

    public init() {}

    public var description: String { "memory" }

    public func load(_ name: String) async throws -> Data? { documents.withLock { $0[name] } }

    public func save(_ name: String, _ document: Data) async throws { documents.withLock { $0[name] = document } }
}
