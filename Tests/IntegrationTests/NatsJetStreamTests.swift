import Components
import EventModel
import Foundation
import Nats
import PipelineRuntime
import SmokeflowTesting
import Testing

/// The `nats` sink and source against a real nats-server with JetStream: what goes in comes
/// out point for point, a resend is deduplicated, a failed batch is redelivered, writers share
/// one durable consumer, and a server that is down at the start loses nothing.
@Suite(.timeLimit(.minutes(3)), .enabled(if: NatsServer.available))
struct NatsJetStreamTests {
    static func points(_ count: Int, run: String) -> [Point] {
        SinkCompliance.points(run: run, batch: 0, count: count)
    }

    static func stream(_ name: String) -> String {
        "{ name: \(name), subjects: [\"smokeflow.\(name).>\"], duplicate_window: 5m }"
    }

    func publish(_ points: [Point], to server: NatsServer, stream: String, batchSize: Int = 100) async throws -> RunReport {
        let key = TestData.register(points)
        return try await runPipeline("""
            shutdown_timeout: 20s
            agent: test-agent
            sources:
              recorded: { type: memory, key: "\(key)", batch_size: \(batchSize) }
            sinks:
              uplink: { type: nats, inputs: [recorded], url: "\(server.url)", subject: "smokeflow.\(stream).site", stream: \(Self.stream(stream)) }
            """)
    }

    /// Reads the stream with `durable` until a fetch comes back empty (`run --once`).
    func consume(from server: NatsServer, stream: String, durable: String, sink: String) async throws -> RunReport {
        try await runPipeline("""
            shutdown_timeout: 20s
            sources:
              points: { type: nats, url: "\(server.url)", stream: \(stream), subject: "smokeflow.\(stream).>", durable: \(durable), fetch_timeout: 500ms, nak_delay: 100ms }
            sinks:
              \(sink)
            """)
    }

    func messages(in stream: String, on server: NatsServer) async throws -> UInt64 {
        let connection = try await NatsConnection.connect(urls: [server.url], name: "test")
        defer { Task { await connection.close() } }
        return try await connection.streamState(stream).messages
    }

    @Test func whatIsPublishedIsReadBackPointForPoint() async throws {
        let server = NatsServer()
        try await server.start()
        defer { Task { await server.stop() } }
        let sent = Self.points(1234, run: "roundtrip")
        let published = try await publish(sent, to: server, stream: "RT")
        #expect(published.succeeded, "\(published.failures)")
        #expect(try await messages(in: "RT", on: server) == 13, "one message per batch of 100")

        let (probe, observer) = Observer.make()
        let consumed = try await consume(from: server, stream: "RT", durable: "writers", sink: "out: { type: collect, inputs: [points], probe: \"\(probe)\" }")
        #expect(consumed.succeeded, "\(consumed.failures)")
        #expect(observer.received.withLock { $0 } == sent)

        // Acknowledged: a second reader on the same durable consumer gets nothing more.
        let (again, second) = Observer.make()
        _ = try await consume(from: server, stream: "RT", durable: "writers", sink: "out: { type: collect, inputs: [points], probe: \"\(again)\" }")
        #expect(second.received.withLock { $0.isEmpty })
    }

    @Test func theSamePointsPublishedTwiceAreStoredOnce() async throws {
        let server = NatsServer()
        try await server.start()
        defer { Task { await server.stop() } }
        let sent = Self.points(500, run: "dedup")
        #expect(try await publish(sent, to: server, stream: "DUP").succeeded)
        #expect(try await publish(sent, to: server, stream: "DUP").succeeded)
        #expect(try await messages(in: "DUP", on: server) == 5)
        // Other points are other messages.
        #expect(try await publish(Self.points(100, run: "other"), to: server, stream: "DUP").succeeded)
        #expect(try await messages(in: "DUP", on: server) == 6)
    }

    @Test func aBatchASinkFailedIsDeliveredAgain() async throws {
        let server = NatsServer()
        try await server.start()
        defer { Task { await server.stop() } }
        let sent = Self.points(300, run: "redeliver")
        #expect(try await publish(sent, to: server, stream: "RD").succeeded)
        // The sink cannot open its file: every batch fails, and goes back to JetStream.
        let failed = try await consume(from: server, stream: "RD", durable: "writers", sink: "out: { type: file, inputs: [points], path: /nonexistent/smokeflow/out.lp }")
        #expect(!failed.succeeded)
        try await Task.sleep(for: .milliseconds(300))
        let (probe, observer) = Observer.make()
        let consumed = try await consume(from: server, stream: "RD", durable: "writers", sink: "out: { type: collect, inputs: [points], probe: \"\(probe)\" }")
        #expect(consumed.succeeded, "\(consumed.failures)")
        #expect(Set(observer.received.withLock { $0 }.map { String(describing: $0) }) == Set(sent.map { String(describing: $0) }))
    }

    @Test func twoReadersOnOneDurableConsumerShareTheMessages() async throws {
        let server = NatsServer()
        try await server.start()
        defer { Task { await server.stop() } }
        let sent = Self.points(2000, run: "share")
        #expect(try await publish(sent, to: server, stream: "SH", batchSize: 50).succeeded)
        let (first, firstObserver) = Observer.make()
        let (second, secondObserver) = Observer.make()
        async let one = consume(from: server, stream: "SH", durable: "writers", sink: "out: { type: collect, inputs: [points], probe: \"\(first)\", delay: 5ms }")
        async let two = consume(from: server, stream: "SH", durable: "writers", sink: "out: { type: collect, inputs: [points], probe: \"\(second)\", delay: 5ms }")
        let reports = [try await one, try await two]
        #expect(reports.allSatisfy { $0.succeeded })
        let a = firstObserver.received.withLock { $0 }
        let b = secondObserver.received.withLock { $0 }
        #expect(a.count + b.count == sent.count, "each message read once: \(a.count) + \(b.count)")
        #expect(Set((a + b as [Point]).map { String(describing: $0) }) == Set(sent.map { String(describing: $0) }))
    }

    @Test func aServerDownAtTheStartLosesNothing() async throws {
        let server = NatsServer()
        let sent = Self.points(400, run: "late")
        async let published = publish(sent, to: server, stream: "LATE")
        try await Task.sleep(for: .seconds(2))
        try await server.start()
        defer { Task { await server.stop() } }
        let report = try await published
        #expect(report.succeeded, "\(report.failures)")
        #expect(try await messages(in: "LATE", on: server) == 4)
    }

    @Test func settingsTheServerRefusesStopTheSinkWithItsError() async throws {
        let server = NatsServer()
        try await server.start()
        defer { Task { await server.stop() } }
        let key = TestData.register(Self.points(10, run: "refused"))
        let report = try await runPipeline("""
            sources:
              recorded: { type: memory, key: "\(key)" }
            sinks:
              uplink: { type: nats, inputs: [recorded], url: "\(server.url)", subject: smokeflow.R3.x, stream: { name: R3, subjects: ["smokeflow.R3.>"], replicas: 3 } }
            """)
        #expect(!report.succeeded)
        #expect(report.failures.map { String(describing: $0) }.joined().contains("stream R3"), "\(report.failures)")
    }
}
