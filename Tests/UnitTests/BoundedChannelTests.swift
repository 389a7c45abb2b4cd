import EventModel
import PipelineRuntime
import Testing

@Suite struct BoundedChannelTests {
    let batch = Batch(points: [Point(measurement: "m", fields: [.init("n", .int(1))], timestamp: 1)])

    /// A receive with a deadline that a batch wins must leave nothing behind: neither a
    /// timed-out flag nor a timer that fires later may end the next receive early. Each round is
    /// deterministic (the later `next()` gets the batch sent after it, whenever it starts); the
    /// timer's race with the fast path is what the many rounds on several threads look for.
    @Test func aTimedReceiveThatGetsABatchNeverEndsTheNextReceive() async throws {
        var ended = 0
        for _ in 0..<200_000 {
            let channel = BoundedChannel(capacity: 1, producers: 1)
            try await channel.send(batch)
            guard case .batch = await channel.next(before: .now) else {
                ended += 1
                continue
            }
            async let later = channel.next()
            try await channel.send(batch)
            if await later == nil { ended += 1 }
        }
        #expect(ended == 0, "\(ended) receives saw the end of input while a producer was still running")
    }

    @Test func aReceiveTimesOutAtItsDeadlineAndTheNextOneStillWaits() async throws {
        let channel = BoundedChannel(capacity: 1, producers: 1)
        guard case .timeout = await channel.next(before: .now + .milliseconds(20)) else {
            Issue.record("expected a timeout")
            return
        }
        async let later = channel.next(before: nil)
        try await channel.send(batch)
        guard case .batch = await later else {
            Issue.record("the receive after a timeout did not get the batch")
            return
        }
        channel.producerFinished()
        guard case .end = await channel.next(before: .now + .seconds(60)) else {
            Issue.record("expected the end of input")
            return
        }
    }
}
