import AsyncHTTPClient
import LineProtocol
import Logging
import NIOCore
import EventModel
public import PipelineRuntime

/// Batches points into requests by line count and bytes, flushes on an interval, sends up to
/// `concurrency` requests at once, and acknowledges each batch when every request holding
/// part of it has been answered.
public struct InfluxSink: Sink {
    let configuration: InfluxSinkConfiguration
    let endpoint: InfluxEndpoint
    let client: HTTPClient

    init(configuration: InfluxSinkConfiguration, endpoint: InfluxEndpoint, client: HTTPClient = InfluxSink.writeClient) {
        self.configuration = configuration
        self.endpoint = endpoint
        self.client = client
    }

    /// Redirects are never followed (a 301/302 turns the POST into a GET without its body, which
    /// writes nothing); a failed connect fails the request at once rather than being retried by
    /// the pool until `request_timeout` (the writer retries it, soon), and a connect may take 2 s.
    static let writeClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(2)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    struct Request: Sendable {
        var body = ByteBuffer()
        var lines = 0
        var acknowledgements: [Acknowledgement] = []
        var opened: ContinuousClock.Instant?
    }

    public func run(context: StageContext, input: StageInput) async throws {
        let writer = InfluxWriter(
            configuration: configuration, endpoint: endpoint, client: client, logger: context.logger, outage: OutageLog(),
            metrics: SinkWriteMetrics(context)
        )
        var encoder = LineProtocolEncoder(precision: configuration.precision)
        var rejections = RejectionLog(logger: context.logger)
        // What is being filled; its holds are released here if the sink fails before sending it.
        var request = Request()

        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0

            /// Owns `request`'s holds from here on: every one is released, sent or not.
            func dispatch(_ request: Request) async throws {
                if request.lines == 0 {
                    for acknowledgement in request.acknowledgements { acknowledgement.release(.delivered) }
                    return
                }
                if inFlight == configuration.concurrency {
                    do {
                        try await group.next()
                    } catch {
                        for acknowledgement in request.acknowledgements { acknowledgement.release(.failed) }
                        throw error
                    }
                    inFlight -= 1
                }
                inFlight += 1
                group.addTask {
                    do {
                        switch try await writer.write(request.body, lines: request.lines) {
                        case .accepted:
                            context.counters.add(sent: request.lines)
                            for acknowledgement in request.acknowledgements { acknowledgement.release(.delivered) }
                        case .rejected(let dropped):
                            context.counters.add(sent: request.lines - dropped)
                            context.counters.add(dropped: dropped, reason: .rejected)
                            for acknowledgement in request.acknowledgements { acknowledgement.release(.rejected) }
                        }
                    } catch {
                        for acknowledgement in request.acknowledgements { acknowledgement.release(.failed) }
                        throw error
                    }
                }
            }

            /// Hands the filled request to `dispatch` and starts the next one, holding `carried`.
            func send(reopen: Bool, carrying carried: [Acknowledgement] = []) async throws {
                let full = request
                request = Request(acknowledgements: carried, opened: reopen ? .now : nil)
                try await dispatch(full)
            }

            func deadline() -> ContinuousClock.Instant? {
                request.opened.map { $0 + configuration.flushInterval }
            }

            do {
                loop: while true {
                    switch await input.next(before: deadline()) {
                    case .batch(let batch):
                        context.counters.add(received: batch.points.count)
                        if request.opened == nil { request.opened = .now }
                        // The request that gets the batch's first point holds it from the start.
                        request.acknowledgements += batch.acknowledgements
                        for (index, point) in batch.points.enumerated() {
                            do {
                                try encoder.encode(point, into: &request.body)
                            } catch {
                                context.counters.add(dropped: 1, reason: .rejected)
                                rejections.note(error)
                                batch.markRejected()
                                continue
                            }
                            request.lines += 1
                            if request.lines >= configuration.batchMaxLines || request.body.readableBytes >= configuration.batchMaxBytes {
                                // The rest of the batch goes into the next request: one more
                                // hold, taken before this request can be answered.
                                let rest = index < batch.points.count - 1 ? batch.acknowledgements : []
                                for acknowledgement in rest { acknowledgement.retain() }
                                try await send(reopen: true, carrying: rest)
                            }
                        }
                    case .timeout:
                        try await send(reopen: false)
                    case .end:
                        break loop
                    }
                }
                try await send(reopen: false)
            } catch {
                // The sink fails: what it holds and has not sent fails too, so every source's
                // acknowledgement fires (sent requests release theirs when their task ends).
                for acknowledgement in request.acknowledgements { acknowledgement.release(.failed) }
                request = Request()
                throw error
            }
            try await group.waitForAll()
        }
    }
}
