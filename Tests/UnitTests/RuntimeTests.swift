import Foundation
import PipelineConfig
import ServiceLifecycle
import EventModel
import PipelineRuntime
import Synchronization
import SmokeflowTesting
import Testing

@Suite struct RuntimeTests {
    func points(_ count: Int) -> [Point] {
        (0..<count).map { Point(measurement: "m", fields: [.init("n", .int(Int64($0)))], timestamp: Int64($0)) }
    }

    @Test func fanOutDeliversEveryPointToEverySinkAndAcknowledgesOnce() async throws {
        let (sourceProbe, source) = Observer.make()
        let (aProbe, a) = Observer.make()
        let (bProbe, b) = Observer.make()
        let key = TestData.register(points(1000))
        let report = try await runPipeline("""
            sources:
              src: { type: memory, key: \(key), probe: \(sourceProbe), batch_size: 64 }
            transforms:
              tag: { type: add_tags, inputs: [src], tags: { site: lab } }
            sinks:
              a: { type: collect, inputs: [tag], probe: \(aProbe) }
              b: { type: collect, inputs: [src, tag], probe: \(bProbe), delay: 1ms }
            """)
        #expect(report.succeeded)
        #expect(a.received.withLock { $0.count } == 1000)
        #expect(a.received.withLock { $0.allSatisfy { $0.tag("site") == "lab" } })
        #expect(b.received.withLock { $0.count } == 2000)
        // 16 batches, each acknowledged exactly once, after all three deliveries.
        #expect(source.statuses.withLock { $0 } == Array(repeating: .delivered, count: 16))
    }

    @Test func aStalledSinkStopsTheSourceInsteadOfBufferingWithoutBound() async throws {
        let (probeKey, probe) = Observer.make()
        let capacity = 4
        let task = Task {
            try await runPipeline("""
                channel_capacity: \(capacity)
                shutdown_timeout: 200ms
                sources:
                  gen: { type: generator, probe: \(probeKey) }
                sinks:
                  stuck: { type: stall, inputs: [gen], probe: \(probeKey) }
                """) { $0.once = false }
        }
        // The source has filled what backpressure allows: one batch taken by the sink and
        // `capacity` buffered (it counts a batch once it is handed over), however slow the machine.
        #expect(await eventually(within: .seconds(30)) { probe.produced.load(ordering: .relaxed) >= capacity + 1 })
        // Then it stays suspended on the next one: given time to run on, it hands over nothing
        // more (a negative check: a slow machine can only make it weaker, never fail it).
        try await Task.sleep(for: .milliseconds(500))
        let second = probe.produced.load(ordering: .relaxed)
        #expect(second <= capacity + 2, "the source kept producing into a stalled sink")
        task.cancel()
        _ = try? await task.value
        // Nothing buffered was silently dropped: every batch the sink never took failed.
        let failed = probe.statuses.withLock { $0.filter { $0 == .failed }.count }
        #expect(failed >= second - 1)
    }

    @Test func gracefulShutdownStopsSourcesAndDrainsInFlightBatches() async throws {
        let (probeKey, probe) = Observer.make()
        let (sinkKey, sink) = Observer.make()
        let definition = try PipelineLoader(environment: [:]).load(text: """
            channel_capacity: 8
            sources:
              gen: { type: generator, probe: \(probeKey), interval: 1ms }
            sinks:
              slow: { type: collect, inputs: [gen], probe: \(sinkKey), delay: 20ms }
            """, file: "test.yaml")
        let pipeline = try Pipeline(
            plan: try ComponentRegistry.testing.plan(definition), settings: try RuntimeSettings(definition), logger: .init(label: "t"))
        let run = Task { await pipeline.run() }
        try #require(await eventually(within: .seconds(60)) { probe.produced.load(ordering: .relaxed) >= 20 })
        pipeline.shutdown()
        let report = await run.value
        #expect(report.succeeded)
        let produced = probe.produced.load(ordering: .relaxed)
        #expect(produced > 0)
        // Everything the source handed over reached the sink and was acknowledged delivered.
        #expect(sink.consumed.load(ordering: .relaxed) == produced)
        #expect(probe.statuses.withLock { $0.filter { $0 == .delivered }.count } == produced)
        // At most the one batch the source was suspended on when stopped never entered the
        // pipeline: it is failed (so a checkpointing source would not commit it), not lost silently.
        #expect(probe.statuses.withLock { $0.filter { $0 == .failed }.count } <= 1)
    }

    @Test func aSinkThatFailsForGoodFailsTheRunAndItsBatches() async throws {
        let (sourceProbe, source) = Observer.make()
        let key = TestData.register(points(50))
        let directory = temporaryDirectory()
        let report = try await runPipeline("""
            sources:
              src: { type: memory, key: \(key), probe: \(sourceProbe), batch_size: 10 }
            sinks:
              broken: { type: file, inputs: [src], path: \(directory)/missing/dir/out.lp }
            """)
        #expect(!report.succeeded)
        #expect(report.failures.first?.description.hasPrefix("sink 'broken': \(directory)/missing/dir/out.lp: open failed") == true)
        #expect(source.statuses.withLock { $0.allSatisfy { $0 == .failed } })
    }

    @Test func orderedCommitsOnlyAdvanceOverAcknowledgedPrefixes() {
        let committed = Mutex<[Int]>([])
        let commits = OrderedCommits<Int> { position in committed.withLock { $0.append(position) } }
        let first = commits.acknowledgement(for: 10)
        let second = commits.acknowledgement(for: 20)
        let third = commits.acknowledgement(for: 30)
        let fourth = commits.acknowledgement(for: 40)
        second.release(.delivered)
        #expect(committed.withLock { $0 } == [], "20 must wait for 10")
        first.release(.delivered)
        #expect(committed.withLock { $0 } == [20])
        third.release(.failed)
        fourth.release(.delivered)
        #expect(committed.withLock { $0 } == [20], "nothing moves past a failed batch")
    }

    @Test func acknowledgementWaitsForEveryHolderAndKeepsTheWorstStatus() {
        let result = Mutex<DeliveryStatus?>(nil)
        let acknowledgement = Acknowledgement { status in result.withLock { $0 = status } }
        let batch = Batch(points: [], acknowledgements: [acknowledgement])
        batch.fork(into: 3)
        batch.acknowledge(.delivered)
        batch.acknowledge(.rejected)
        #expect(result.withLock { $0 } == nil)
        batch.acknowledge(.delivered)
        #expect(result.withLock { $0 } == .rejected)
    }
}
