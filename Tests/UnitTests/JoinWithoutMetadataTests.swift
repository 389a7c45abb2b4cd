import Foundation
import EventModel
import PipelineRuntime
import SmokeflowTesting
import Testing

/// Review C9: `unknown: drop` with no snapshot at all (a first start with the database down)
/// must hold the points, not drop them all and acknowledge them as delivered.
@Suite(.timeLimit(.minutes(2)))
struct JoinWithoutMetadataTests {
    @Test func unknownDropHoldsPointsWhileNoSnapshotWasEverLoaded() async throws {
        let points = (0..<10).map {
            Point(measurement: "latency", tags: [.init("target", "r1")], fields: [.init("median", .float(1))], timestamp: Int64($0))
        }
        let key = TestData.register(points)
        let (sourceKey, source) = Observer.make()
        let (sinkKey, sink) = Observer.make()
        // Nothing listens on a port just released: every connection is refused at once.
        let closed = "postgresql://smokeflow@127.0.0.1:\(freePort())/none"
        let run = Task {
            try await runPipeline("""
                sources:
                  src: { type: memory, key: \(key), probe: \(sourceKey), batch_size: 5 }
                transforms:
                  join: { type: postgres_join, inputs: [src], database_url: "\(closed)", unknown: drop }
                sinks:
                  out: { type: collect, inputs: [join], probe: \(sinkKey) }
                """) { $0.once = false }
        }
        // However long this takes on a loaded machine, no batch may be settled meanwhile: with
        // the bug both were acknowledged delivered within milliseconds.
        try await Task.sleep(for: .seconds(2))
        let settled = source.statuses.withLock { $0 }
        run.cancel()
        _ = try? await run.value
        #expect(settled.isEmpty, "acknowledged without metadata: \(settled)")
        #expect(!source.statuses.withLock { $0 }.contains(.delivered))
        #expect(sink.consumed.load(ordering: .relaxed) == 0)
    }
}
