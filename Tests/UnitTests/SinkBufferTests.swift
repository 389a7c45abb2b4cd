import Foundation
import EventModel
import PipelineConfig
import PipelineRuntime
import SmokeflowTesting
import Testing

/// `buffer:` on sinks (issue 11): `when_full: drop_newest` keeps one stuck sink from stalling
/// the others; bad settings are one clear error at their line and column.
@Suite(.timeLimit(.minutes(2)))
struct SinkBufferTests {
    @Test func aStuckSinkWithDropNewestDoesNotStallTheOthers() async throws {
        let points = (0..<500).map { Point(measurement: "m", fields: [.init("n", .int(Int64($0)))], timestamp: Int64($0)) }
        let key = TestData.register(points)
        let (sourceKey, source) = Observer.make()
        let (stuckKey, stuck) = Observer.make()
        let (liveKey, live) = Observer.make()
        let run = Task {
            try await runPipeline("""
                sources:
                  src: { type: memory, key: \(key), probe: \(sourceKey), batch_size: 10 }
                sinks:
                  stuck: { type: stall, inputs: [src], probe: \(stuckKey), buffer: { type: memory, max_batches: 2, when_full: drop_newest } }
                  live: { type: collect, inputs: [src], probe: \(liveKey) }
                """) { $0.once = false }
        }
        let allThrough = await eventually(within: .seconds(60)) { live.consumed.load(ordering: .relaxed) == 500 }
        run.cancel()
        let report = try? await run.value
        #expect(allThrough, "the live sink got \(live.consumed.load(ordering: .relaxed)) of 500 points")
        #expect(stuck.consumed.load(ordering: .relaxed) <= 10, "the stuck sink took one batch")
        // The stuck sink's copies beyond its buffer were dropped: acknowledged rejected, counted.
        let statuses = source.statuses.withLock { $0 }
        #expect(statuses.filter { $0 == .rejected }.count >= 40, "\(statuses)")
        if let stuckCounts = report?.counts.first(where: { $0.id == "stuck" }) { #expect(stuckCounts.dropped >= 400) }
    }

    @Test func blockIsTheDefaultAndMaxBatchesSetsTheCapacity() throws {
        let definition = try PipelineLoader(environment: [:]).load(text: """
            sources:
              src: { type: memory, key: k }
            sinks:
              out: { type: collect, inputs: [src], probe: p, buffer: { max_batches: 64 } }
              plain: { type: collect, inputs: [src], probe: p }
            """, file: "buffers.yaml")
        let plan = try ComponentRegistry.testing.plan(definition)
        #expect(plan.first { $0.definition.id == "out" }?.buffer == SinkBuffer(maxBatches: 64, whenFull: .block))
        #expect(plan.first { $0.definition.id == "plain" }?.buffer == SinkBuffer())
    }

    @Test(arguments: [
        ("{ type: disk, max_size: 3 parsecs }", "buffers.yaml:4:82: option 'max_size' must be a size such as 512MiB, 2GiB or 1GB"),
        ("{ type: disk, max_size: 1KiB }", "buffers.yaml:4:82: option 'max_size' must be between 1MiB and 1024TiB"),
        ("{ type: disk, max_batches: 4 }", "buffers.yaml:4:72: unknown option 'max_batches' for 'out.buffer'"),
        ("{ type: disk, fsync_interval: 2m }", "buffers.yaml:4:88: option 'fsync_interval' must be at most 60s"),
        ("{ type: memory, max_size: 1GiB }", "buffers.yaml:4:74: unknown option 'max_size' for 'out.buffer'"),
        ("{ type: tape }", "buffers.yaml:4:66: option 'type' must be one of: memory, disk"),
        ("{ when_full: sometimes }", "buffers.yaml:4:71: option 'when_full' must be one of: block, drop_newest"),
        ("{ max_batches: 0 }", "buffers.yaml:4:73: option 'max_batches' must be between 1 and 1000000"),
        ("{ size: 3 }", "buffers.yaml:4:60: unknown option 'size' for 'out.buffer'"),
        ("64", "buffers.yaml:4:58: option 'buffer' of 'out' must be a mapping such as { type: memory, max_batches: 64 }"),
    ])
    func badBufferSettingsNameTheLineAndColumn(buffer: String, expected: String) throws {
        let definition = try PipelineLoader(environment: [:]).load(text: """
            sources:
              src: { type: memory, key: k }
            sinks:
              out: { type: collect, inputs: [src], probe: p, buffer: \(buffer) }
            """, file: "buffers.yaml")
        #expect(throws: ConfigErrors.self) { try ComponentRegistry.testing.plan(definition) }
        do {
            _ = try ComponentRegistry.testing.plan(definition)
        } catch {
            #expect(error.description.hasPrefix(expected), "\(error.description)")
        }
    }
}
