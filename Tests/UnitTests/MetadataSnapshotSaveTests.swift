@testable import Components
import Foundation
import Logging
import PipelineRuntime
import SmokeflowTesting
import Synchronization
import Testing
import TargetStore

/// Review M9: a NOTIFY flood reloads the targets again and again; the snapshot is saved (an
/// fsynced write of the whole list) at most once per interval, the newest one last.
@Suite(.timeLimit(.minutes(1)))
struct MetadataSnapshotSaveTests {
    final class CountingStorage: CheckpointStorage {
        let inner = MemoryCheckpointStorage()
        let saves = Atomic<Int>(0)
        var description: String { "counting" }
        func load(_ name: String) async throws -> Data? { try await inner.load(name) }
        func save(_ name: String, _ document: Data) async throws {
            saves.add(1, ordering: .relaxed)
            try await inner.save(name, document)
        }
        func close() async {}
    }

    @Test func aFloodOfReloadsSavesTheSnapshotOnceAndThenTheNewest() async throws {
        let storage = CountingStorage()
        let refresher = MetadataRefresher(
            origin: .file(path: "/nonexistent"), cache: MetadataCache(), refreshInterval: .seconds(60), snapshotStorage: storage,
            snapshotName: "join-meta", logger: Logger(label: "test"))
        for index in 0..<50 {
            await refresher.save(MetadataSnapshot(targets: [TargetRecord(name: "t\(index)", host: "192.0.2.1")]))
        }
        #expect(storage.saves.load(ordering: .relaxed) == 1, "one save at once, the rest coalesced")
        // The newest is saved once the interval has passed.
        let newest = try await eventually(within: .seconds(30)) {
            guard let data = try await storage.load("join-meta") else { return false }
            return try JSONDecoder().decode(MetadataSnapshot.self, from: data).targets.first?.name == "t49"
        }
        #expect(newest)
        #expect(storage.saves.load(ordering: .relaxed) == 2)
    }
}
