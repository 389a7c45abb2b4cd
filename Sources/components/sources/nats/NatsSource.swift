import EventModel
import LineProtocol
import Logging
import Nats
public import PipelineRuntime
import Synchronization
import Zstd

/// Reads a durable pull consumer: one batch per message, acknowledged to JetStream when every
/// sink has accepted it (`ack`), or sent back for another try after `nak_delay` when one failed
/// (`nak`); a message that cannot be read is terminated, never redelivered, and logged with its
/// stream sequence. Fetches wait on a thread of their own; JetStream's `max_ack_pending` holds
/// back what is delivered while the pipeline's channels are full.
public struct NatsSource: Source {
    let configuration: NatsSourceConfiguration
    let agent: String
    /// The connection stays open after the source stops, for the acknowledgements still to
    /// come from the sinks; `finish` closes it.
    let session = NatsSourceSession()

    /// Larger than any message the sink writes (5,000 points of about 400 bytes).
    static let maxDecodedBytes = 64 << 20

    public func run(context: StageContext, output: StageOutput) async throws {
        let server = configuration.server
        let connection = try await NatsConnection.connect(
            urls: server.urls, name: "smokeflow \(agent) \(context.id)", domain: server.domain, wait: server.requestTimeout)
        session.opened(connection)
        let subscription = try await subscribe(connection, context: context)
        let decompressor = try ZstdDecompressor()
        // The failure logged for the outage in progress: one warning per outage, not per retry.
        var failing: String?
        while true {
            try Task.checkCancellation()
            let messages: [NatsMessage]
            do {
                messages = try await subscription.fetch(batch: configuration.fetchBatch, timeout: configuration.fetchTimeout)
            } catch let error as NatsError {
                if failing != error.description {
                    context.logger.warning("fetching from \(server.displayName) failed: \(error); trying again every second")
                    failing = error.description
                }
                try await Task.sleep(for: .seconds(1))
                continue
            }
            if failing != nil {
                context.logger.info("fetching from \(server.displayName) works again")
                failing = nil
            }
            if messages.isEmpty {
                if context.once { return }
                continue
            }
            for (index, message) in messages.enumerated() {
                let points: [Point]
                do {
                    points = try Self.decode(message, decompressor: decompressor)
                } catch {
                    context.logger.error("stream \(configuration.streamName) message \(message.streamSequence): \(error); terminated (never redelivered)")
                    context.counters.add(dropped: 1, reason: .rejected)
                    session.settle { try await message.terminate() }
                    continue
                }
                let nakDelay = configuration.nakDelay
                let acknowledgement = Acknowledgement { [session, logger = context.logger] status in
                    session.settle {
                        do {
                            if status == .failed { try await message.nak(delay: nakDelay) } else { try await message.ack() }
                        } catch {
                            // JetStream delivers it again after ack_wait: written twice, as the same points.
                            logger.warning("acknowledging message \(message.streamSequence) failed: \(error)")
                        }
                    }
                }
                do {
                    try await output.send(Batch(points: points, acknowledgements: [acknowledgement]))
                } catch {
                    // Stopped before it was sent: this one and the rest go back at once.
                    acknowledgement.release(.failed)
                    for unsent in messages[(index + 1)...] { session.settle { try await unsent.nak(delay: .zero) } }
                    throw error
                }
            }
        }
    }

    public func finish(context: StageContext) async {
        await session.close()
    }

    /// Declares the stream when asked to, then binds the durable consumer (`untilNatsAnswers`).
    private func subscribe(_ connection: NatsConnection, context: StageContext) async throws -> NatsPullSubscription {
        var settings = NatsPullSubscription.Settings(stream: configuration.streamName, subject: configuration.subject, durable: configuration.durable)
        settings.ackWait = configuration.ackWait
        settings.maxAckPending = configuration.maxAckPending
        let name = "stream \(configuration.streamName) on \(configuration.server.displayName)"
        return try await untilNatsAnswers(name, logger: context.logger) {
            if let stream = configuration.server.stream { try await connection.ensureStream(stream) }
            return try await NatsPullSubscription.subscribe(connection, settings)
        }
    }

    static func decode(_ message: NatsMessage, decompressor: ZstdDecompressor) throws -> [Point] {
        let precision = message.headers[NatsSink.Header.precision].flatMap(Precision.init(rawValue:)) ?? .nanoseconds
        var bytes = message.payload
        if let encoding = message.headers[NatsSink.Header.encoding] {
            guard encoding == "zstd" else { throw NatsDecodeError(description: "unknown \(NatsSink.Header.encoding) '\(encoding)'") }
            guard let size = message.headers[NatsSink.Header.size].flatMap(Int.init), (0...maxDecodedBytes).contains(size) else {
                throw NatsDecodeError(description: "zstd payload without a valid \(NatsSink.Header.size) header")
            }
            bytes = try message.payload.withUnsafeBytes { try decompressor.decompressFrame($0, size: size) }
        }
        var parser = LineProtocolParser(precision: precision)
        var points: [Point] = []
        _ = try bytes.withUnsafeBufferPointer { try parser.parse($0, isFinal: true, into: &points) }
        return points
    }
}

struct NatsDecodeError: Error, CustomStringConvertible {
    let description: String
}

/// The source's connection and the acknowledgements still on their way to JetStream.
final class NatsSourceSession: Sendable {
    private struct State {
        var connection: NatsConnection?
        var settling = 0
    }

    private let state = Mutex(State())

    func opened(_ connection: NatsConnection) {
        state.withLock { $0.connection = connection }
    }

    /// Runs an ack, nak or term off the caller's task; `close` waits for it.
    func settle(_ body: @escaping @Sendable () async throws -> Void) {
        state.withLock { $0.settling += 1 }
        Task {
            try? await body()
            self.state.withLock { $0.settling -= 1 }
        }
    }

    /// Once the acknowledgements have gone out (or after 10 s), closes the connection.
    func close() async {
        let deadline = ContinuousClock.now + .seconds(10)
        while state.withLock({ $0.settling > 0 }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let connection = state.withLock { state in
            defer { state.connection = nil }
            return state.connection
        }
        await connection?.close()
    }
}
