import EventModel
import LineProtocol
import Logging
import Nats
import NIOCore
public import PipelineRuntime
import Zstd

/// Publishes each batch to JetStream and acknowledges it upstream when JetStream has stored
/// every message holding it. A publish that fails (server down, no quorum, timeout) is sent
/// again, with backoff, for as long as the pipeline runs: the channel's bound is the
/// backpressure, and a disk buffer (`buffer: disk`) keeps what waits across restarts.
///
/// Each message's `Nats-Msg-Id` is derived from what it holds (agent, sink, and a hash and the
/// length of its line protocol), so a resend after a timeout or a crash with the same points is
/// dropped by JetStream within the stream's duplicate window.
public struct NatsSink: Sink {
    let configuration: NatsSinkConfiguration
    let agent: String

    /// The headers a message carries besides `Nats-Msg-Id`; the `nats` source reads them.
    enum Header {
        static let points = "Smokeflow-Points"
        static let origin = "Smokeflow-Origin"
        static let encoding = "Smokeflow-Encoding"
        static let size = "Smokeflow-Size"
        static let precision = "Smokeflow-Precision"
    }

    public func run(context: StageContext, input: StageInput) async throws {
        let server = configuration.server
        let connection = try await NatsConnection.connect(
            urls: server.urls, name: "smokeflow \(agent) \(context.id)", domain: server.domain, wait: server.requestTimeout)
        let publisher = Publisher(
            configuration: configuration, agent: agent, sinkID: context.id, connection: connection, logger: context.logger,
            metrics: SinkWriteMetrics(context))
        var encoder = BatchEncoder(precision: configuration.precision, context: context)
        let compressor = try ZstdCompressor(level: 3)
        do {
            for await batch in input {
                var bytes = ByteBuffer()
                let written = encoder.encode(batch, into: &bytes, context: context)
                do {
                    for (chunk, points) in Self.chunks(bytes, maxLines: configuration.batchMaxPoints) {
                        try await publisher.publish(chunk, points: points, compressor: compressor)
                    }
                } catch {
                    batch.acknowledge(.failed)
                    throw error
                }
                context.counters.add(sent: written)
                batch.acknowledge(.delivered)
            }
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }

    /// The encoded lines in runs of at most `maxLines`, each with its line count.
    static func chunks(_ bytes: ByteBuffer, maxLines: Int) -> [(ArraySlice<UInt8>, Int)] {
        let all = Array(bytes.readableBytesView)
        var chunks: [(ArraySlice<UInt8>, Int)] = []
        var start = 0
        var lines = 0
        for index in all.indices where all[index] == UInt8(ascii: "\n") {
            lines += 1
            if lines == maxLines {
                chunks.append((all[start...index], lines))
                start = index + 1
                lines = 0
            }
        }
        if start < all.count { chunks.append((all[start...], lines)) }
        return chunks
    }

    /// 64-bit FNV-1a: the content part of a message id (not for security, only to tell
    /// resends of the same lines from other lines within one agent and sink).
    static func contentHash(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}

/// One message at a time to JetStream, sent again until it is stored.
struct Publisher: Sendable {
    let configuration: NatsSinkConfiguration
    let agent: String
    let sinkID: String
    let connection: NatsConnection
    let logger: Logger
    let metrics: SinkWriteMetrics
    let streamDeclared = StreamDeclaration()

    func publish(_ lines: ArraySlice<UInt8>, points: Int, compressor: ZstdCompressor) async throws {
        let payload: [UInt8]
        switch configuration.compression {
        case .zstd: payload = try lines.withUnsafeBytes { try compressor.compressFrame($0) }
        case .none: payload = Array(lines)
        }
        let hash = String(NatsSink.contentHash(lines), radix: 16)
        let messageID = "\(agent).\(sinkID).\(hash).\(lines.count)"
        var headers = [
            (NatsSink.Header.points, String(points)), (NatsSink.Header.origin, agent),
            (NatsSink.Header.precision, configuration.precision.rawValue), (NatsSink.Header.size, String(lines.count)),
        ]
        if configuration.compression == .zstd { headers.append((NatsSink.Header.encoding, "zstd")) }
        var backoff = RetryBackoff(initial: configuration.retryInitialBackoff, maximum: configuration.retryMaxBackoff)
        var attempt = 0
        while true {
            attempt += 1
            do {
                try await declareStreamOnce()
                let published = try await metrics.request {
                    try await connection.publish(subject: configuration.subject, payload: payload, messageID: messageID, headers: headers)
                }
                metrics.succeeded(bytes: payload.count)
                if attempt > 1 {
                    logger.notice("publishing to \(configuration.server.displayName) works again", metadata: ["attempts": "\(attempt)"])
                }
                if published.duplicate {
                    logger.debug("JetStream had this message already (a resend)", metadata: ["message_id": "\(messageID)"])
                }
                return
            } catch let error as NatsSinkSetupError {
                metrics.failed(errorType: "write_failed", reason: error.description)
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if attempt == 1 {
                    logger.warning("publishing to \(configuration.server.displayName) failed: \(error); retrying until it works")
                }
                metrics.retrying(cause: (error as? NatsError)?.isTimeout == true ? "timeout" : "connection", reason: "\(error)")
                try await Task.sleep(for: backoff.next(unreachable: false, retryAfter: nil, random: .random(in: 0...1)))
            }
        }
    }

    /// The stream of `stream:`, declared before the first publish (and again after a failed
    /// attempt). A refusal with a JetStream error code (settings the server cannot take) is
    /// for good; a timeout is retried.
    private func declareStreamOnce() async throws {
        guard let stream = configuration.server.stream, !streamDeclared.done else { return }
        do {
            try await connection.ensureStream(stream)
            streamDeclared.set()
        } catch let error as NatsError where error.jetStreamCode != 0 {
            throw NatsSinkSetupError(description: "stream \(stream.name): \(error)")
        }
    }
}

struct NatsSinkSetupError: Error, CustomStringConvertible {
    let description: String
}
