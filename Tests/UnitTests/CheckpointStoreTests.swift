import Components
import EventModel
import Foundation
import PipelineRuntime
import SmokeflowTesting
import Synchronization
import Testing

/// A backend that fails every save while `failing` is set (a full disk, PostgreSQL down).
final class FlakyStorage: CheckpointStorage {
    let failing = Mutex(true)
    let attempts = Atomic<Int>(0)
    let saved = Mutex<[String: Data]>([:])

    var description: String { "flaky" }

    func load(_ name: String) async throws -> Data? { saved.withLock { $0[name] } }

    func save(_ name: String, _ document: Data) async throws {
        attempts.add(1, ordering: .relaxed)
        if failing.withLock({ $0 }) { throw CheckpointStorageError("flaky: disk full") }
        saved.withLock { $0[name] = document }
    }
}

@Suite(.timeLimit(.minutes(2))) struct CheckpointStoreTests {
    /// A save that keeps failing must not hold the shutdown: flush gives up (the positions since
    /// the last save are re-sent after a restart: duplicates, not loss).
    @Test func flushGivesUpWhenSavesKeepFailing() async throws {
        let storage = FlakyStorage()
        let store = CheckpointStore(storage: storage, name: "rrd-x")
        store.commit("a.rrd", 1)
        let returned = try await finishes(within: .seconds(60)) { await store.flush() }
        #expect(returned != nil, "flush() retried a failing save forever")
    }
}

@Suite struct CheckpointFileTests {
    /// Anything but "no such file" is an error naming the file: a directory in the way (EISDIR),
    /// no permission, an I/O error. "No checkpoint" would re-send or skip a whole history.
    @Test func anUnreadableCheckpointIsAnErrorNamingTheFile() async throws {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/rrd-src.json", withIntermediateDirectories: true)
        let storage = FileCheckpointStorage(directory: directory)
        await #expect(throws: (any Error).self) { try await storage.load("rrd-src") }
        do {
            _ = try await storage.load("rrd-src")
        } catch {
            #expect("\(error)".contains(directory + "/rrd-src.json"), "\(error)")
        }
        #expect(try await storage.load("missing") == nil)
    }

    /// A corrupt or newer document stops the source with what to do about it.
    @Test func aCorruptOrNewerDocumentSaysHowToResetIt() async throws {
        for content in ["{not json", #"{"version": 2, "files": {}}"#] {
            let directory = temporaryDirectory()
            try Data(content.utf8).write(to: URL(fileURLWithPath: directory + "/rrd-src.json"))
            let store = CheckpointStore(storage: FileCheckpointStorage(directory: directory), name: "rrd-src")
            do {
                try await store.load()
                Issue.record("\(content) was accepted")
            } catch {
                let message = "\(error)"
                #expect(message.contains(directory + "/rrd-src.json") && message.contains("delete"), "\(message)")
                #expect(!message.contains("\n"))
            }
        }
    }

    @Test func aCorruptDownsampleDocumentSaysHowToResetIt() async throws {
        let directory = temporaryDirectory()
        try Data("{}".utf8).write(to: URL(fileURLWithPath: directory + "/downsample-hourly.json"))
        let key = TestData.register([])
        let (probe, _) = Observer.make()
        let report = try await runPipeline("""
            state_dir: \(directory)
            sources: { raw: { type: memory, key: \(key), probe: \(probe) } }
            transforms: { hourly: { type: downsample, inputs: [raw], window: 1h } }
            sinks: { out: { type: collect, inputs: [hourly], probe: \(probe) } }
            """)
        let message = report.failures.map(\.description).joined(separator: "; ")
        #expect(message.hasPrefix("transform 'hourly': "), "\(message)")
        #expect(message.contains(directory + "/downsample-hourly.json") && message.contains("delete"), "\(message)")
    }

    /// Two writers of one document (a `record` next to the live pipeline) must not share a
    /// temporary file: the result is always one writer's whole document, and no rename fails.
    @Test func concurrentReplacesOfOneFileNeverInterleave() async throws {
        let path = temporaryDirectory() + "/doc.json"
        let documents = (0..<8).map { writer in [UInt8](repeating: UInt8(65 + writer), count: 256 * 1024) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for document in documents {
                group.addTask {
                    for _ in 0..<20 { try await DurableFile.replace(path, with: document) }
                }
            }
            try await group.waitForAll()
        }
        let final = try #require(FileManager.default.contents(atPath: path))
        #expect(documents.contains([UInt8](final)), "the document is a mix of writers")
    }
}
