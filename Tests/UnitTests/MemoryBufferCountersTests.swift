import EventModel
import LineProtocol
import NIOCore
@testable import PipelineRuntime
import SmokeflowTesting
import Synchronization
import Testing

/// A sink's memory buffer counts what waits in it (points, batches, estimated bytes, the oldest
/// one's age) and what it dropped, in the disk buffer's shape, and says so in the log.
@Suite struct MemoryBufferCountersTests {
    /// A clock the test moves by hand, so ages are exact.
    final class ManualClock: Sendable {
        let instant = Mutex(ContinuousClock.now)
        func advance(_ duration: Duration) { instant.withLock { $0 += duration } }
        var now: @Sendable () -> ContinuousClock.Instant { { self.instant.withLock { $0 } } }
    }

    /// A SmokePing round: tags and twenty pings in seconds to the nanosecond, as the probe makes
    /// them.
    static func round(_ index: Int, target: String = "Core.router") -> Point {
        var fields: [Point.Field] = [.init("median", .float(0.0123456789)), .init("loss", .int(0)), .init("pings", .int(20))]
        for ping in 1...20 { fields.append(.init("ping\(ping)", .float(Double(12_000_000 + ping * 12_345) / 1e9))) }
        return Point(
            measurement: "latency", tags: [.init("target", target), .init("probe_type", "fping")], fields: fields,
            timestamp: 1_700_000_000_000_000_000 + Int64(index) * 1_000_000_000)
    }

    static func batch(_ count: Int, from start: Int = 0) -> Batch {
        Batch(points: (start..<start + count).map { round($0) })
    }

    @Test func depthBytesAndOldestAgeFollowWhatWaits() async throws {
        let clock = ManualClock()
        let channel = BoundedChannel(capacity: 4, producers: 1, measuresBytes: true, now: clock.now)
        #expect(channel.usage == SinkBufferCounters())

        let first = Self.batch(3), second = Self.batch(2, from: 3)
        try await channel.send(first)
        clock.advance(.seconds(5))
        try await channel.send(second)
        clock.advance(.seconds(3))
        let bytes = Int64(first.estimatedLineProtocolBytes + second.estimatedLineProtocolBytes)
        #expect(bytes > 0)
        #expect(channel.usage == SinkBufferCounters(points: 5, records: 2, bytes: bytes, oldestAge: .seconds(8)))

        _ = await channel.next()
        #expect(
            channel.usage
                == SinkBufferCounters(points: 2, records: 1, bytes: Int64(second.estimatedLineProtocolBytes), oldestAge: .seconds(3)))
        _ = await channel.next()
        #expect(channel.usage == SinkBufferCounters())
    }

    /// A producer suspended on a full buffer holds a batch too; it counts from when it arrived.
    @Test func aSuspendedSendersBatchCountsUntilItIsTaken() async throws {
        let clock = ManualClock()
        let channel = BoundedChannel(capacity: 1, producers: 1, now: clock.now)
        try await channel.send(Self.batch(3))
        clock.advance(.seconds(2))
        let blocked = Task { try await channel.send(Self.batch(4, from: 3)) }
        while channel.usage.records < 2 { await Task.yield() }
        #expect(channel.usage == SinkBufferCounters(points: 7, records: 2, oldestAge: .seconds(2)))

        clock.advance(.seconds(1))
        _ = await channel.next()
        #expect(try await blocked.value)
        #expect(channel.usage == SinkBufferCounters(points: 4, records: 1, oldestAge: .seconds(1)))
        _ = await channel.next()
        #expect(channel.usage == SinkBufferCounters())
    }

    @Test func dropNewestCountsTheDroppedPointsAndCloseEmptiesTheCount() async throws {
        let channel = BoundedChannel(capacity: 1, producers: 1, whenFull: .dropNewest)
        channel.offer(Self.batch(3))
        channel.offer(Self.batch(5, from: 3))
        channel.offer(Self.batch(2, from: 8))
        let usage = channel.usage
        #expect(usage.points == 3 && usage.records == 1 && usage.droppedPoints == 7)
        channel.close()
        #expect(channel.usage.points == 0 && channel.usage.records == 0 && channel.usage.oldestAge == nil)
        #expect(channel.usage.droppedPoints == 7)
    }

    /// The estimate is near what the encoder writes for the points sinks usually get.
    @Test func theByteEstimateIsNearTheEncodedLineProtocol() throws {
        let batch = Self.batch(100)
        var encoder = LineProtocolEncoder()
        var buffer = ByteBuffer()
        for point in batch.points { try encoder.encode(point, into: &buffer) }
        let encoded = Double(buffer.readableBytes), estimated = Double(batch.estimatedLineProtocolBytes)
        #expect(abs(estimated - encoded) / encoded < 0.2, "estimated \(estimated) bytes, encoded \(encoded)")
    }

    @Test func theLogSaysWhatWaitsOnceItHasDrainedAndNothingWhileIdle() async throws {
        let clock = ManualClock()
        let channel = BoundedChannel(capacity: 8, producers: 1, measuresBytes: true, now: clock.now)
        let capture = LogCapture()
        let status = MemoryBufferStatus(channel: channel, logger: capture.logger)

        status.report(ending: false)
        #expect(capture.messages(.info).isEmpty)

        try await channel.send(Self.batch(3))
        clock.advance(.seconds(75))
        status.report(ending: false)
        _ = await channel.next()
        status.report(ending: false)
        status.report(ending: false)
        status.report(ending: true)
        let lines = capture.messages(.info)
        #expect(lines.count == 2, "\(lines)")
        let waiting = try #require(lines.first)
        #expect(waiting.hasPrefix("memory buffer: 3 points in 1 batches ("), "\(waiting)")
        #expect(waiting.contains("of line protocol, estimated; at most 8 batches; oldest received 75 s ago) waiting for the sink; 0 points dropped"), "\(waiting)")
        #expect(lines.last == "memory buffer: empty; 0 points dropped")
    }

    @Test func dropsAreLoggedWhenTheyHappenAndAtTheEnd() throws {
        let channel = BoundedChannel(capacity: 1, producers: 1, whenFull: .dropNewest)
        let capture = LogCapture()
        let status = MemoryBufferStatus(channel: channel, logger: capture.logger)
        channel.offer(Self.batch(1))
        channel.offer(Self.batch(2, from: 1))
        status.report(ending: false)
        channel.close()
        status.report(ending: false)
        status.report(ending: false)
        status.report(ending: true)
        let lines = capture.messages(.info)
        #expect(lines.count == 3, "\(lines)")
        #expect(lines.first?.hasSuffix("waiting for the sink; 2 points dropped") == true, "\(lines)")
        #expect(lines.dropFirst().allSatisfy { $0 == "memory buffer: empty; 2 points dropped" }, "\(lines)")
    }
}
