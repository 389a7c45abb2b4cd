@testable import Components
import EventModel
import Foundation
import PipelineConfig
@testable import PipelineRuntime
import SmokeflowTesting
import Synchronization
import Testing

/// Review C12: a batch is acknowledged once its files are fsynced, so a file the sink created
/// (and the folders made for it) must have its directory entry fsynced before that too, or a
/// power loss can take the acknowledged file away. A power loss cannot be staged here; what is
/// checked is that every new entry's directory is synced, before the acknowledgement.
@Suite(.timeLimit(.minutes(2)))
struct RRDSinkDurabilityTests {
    @Test func newFilesAndTheirNewFoldersAreSyncedBeforeTheBatchIsAcknowledged() async throws {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/Old", withIntermediateDirectories: true)
        let definition = try PipelineLoader(environment: [:]).load(
            text: "sources:\n  x: { type: fixture, path: x.lp }\nsinks:\n  store: { type: rrd, inputs: [x], path: \(directory) }\n", file: "rrd.yaml")
        let component = try #require(definition.components.first { $0.id == "store" })
        var reader = OptionsReader(componentID: component.id, location: component.location, pairs: component.options)
        let configuration = RRDSinkConfiguration(options: &reader)

        // What happened, in order: "sync PATH" per entry synced, "ack STATUS" for the batch.
        let events = Mutex<[String]>([])
        var sink = RRDSink(configuration: configuration)
        sink.syncEntry = { path in
            try DurableFile.syncDirectory(of: path)
            events.withLock { $0.append("sync \(path)") }
        }
        let round = { (path: String) in
            Point(measurement: "latency", tags: [.init("path", path)],
                  fields: [.init("median", .float(10)), .init("ping_1", .float(10)), .init("loss", .float(0)), .init("pings", .int(1))],
                  timestamp: 1_764_374_700_000_000_000)
        }
        let acknowledgement = Acknowledgement { status in events.withLock { $0.append("ack \(status)") } }
        let channel = BoundedChannel(capacity: 1, producers: 1)
        try await channel.send(Batch(points: [round("Old/a"), round("New/Deeper/b")], acknowledgements: [acknowledgement]))
        channel.producerFinished()
        try await sink.run(context: StageContext(id: "store", logger: LogCapture().logger, counters: StageCounters(), once: true), input: StageInput(channel))

        let happened = events.withLock { $0 }
        #expect(FileManager.default.fileExists(atPath: directory + "/New/Deeper/b.rrd"))
        let synced = Set(happened.filter { $0.hasPrefix("sync ") }.map { String($0.dropFirst(5)) })
        // Each new entry: the two files in their folders, and the two folders made for b.
        let expected: Set<String> = [directory + "/Old/a.rrd", directory + "/New", directory + "/New/Deeper", directory + "/New/Deeper/b.rrd"]
        #expect(synced == expected, "synced: \(happened)")
        #expect(happened.last == "ack delivered", "\(happened)")
    }
}
