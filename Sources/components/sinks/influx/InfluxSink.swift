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

    init(configuration: InfluxSinkConfiguration, endpoint: InfluxEndpoint, client: HTTPClient = .shared) {
        self.configuration = configuration
        self.endpoint = endpoint
        self.client = client
    }

    struct Request: Sendable {
        var body = ByteBuffer()
        var lines = 0
        var acknowledgements: [Acknowledgement] = []
        var opened: ContinuousClock.Instant?
    }

    public func run(context: StageContext, input: StageInput) async throws {
        let writer = InfluxWriter(
            configuration: configuration, endpoint: endpoint, client: client, logger: context.logger, outage: OutageLog()
        )
        var encoder = LineProtocolEncoder(precision: configuration.precision)
        var rejections = RejectionLog(logger: context.logger)
        var request = Request()

        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0

            func dispatch(_ request: Request) async throws {
                if request.lines == 0 {
                    for acknowledgement in request.acknowledgements { acknowledgement.release(.delivered) }
                    return
                }
                if inFlight == configuration.concurrency {
                    try await group.next()
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
                            context.counters.add(dropped: dropped)
                            for acknowledgement in request.acknowledgements { acknowledgement.release(.rejected) }
                        }
                    } catch {
                        for acknowledgement in request.acknowledgements { acknowledgement.release(.failed) }
                        throw error
                    }
                }
            }

            func deadline() -> ContinuousClock.Instant? {
                request.opened.map { $0 + configuration.flushInterval }
            }

            loop: while true {
                switch await input.next(before: deadline()) {
                case .batch(let batch):
                    context.counters.add(received: batch.points.count)
                    if request.opened == nil { request.opened = .now }
                    for point in batch.points {
                        do {
                            try encoder.encode(point, into: &request.body)
                        } catch {
                            context.counters.add(dropped: 1)
                            rejections.note(error)
                            batch.markRejected()
                            continue
                        }
                        request.lines += 1
                        if request.lines >= configuration.batchMaxLines || request.body.readableBytes >= configuration.batchMaxBytes {
                            // This request holds part of the batch: one more hold on its acknowledgements.
                            for acknowledgement in batch.acknowledgements { acknowledgement.retain() }
                            request.acknowledgements += batch.acknowledgements
                            try await dispatch(request)
                            request = Request(opened: .now)
                        }
                    }
                    request.acknowledgements += batch.acknowledgements
                case .timeout:
                    try await dispatch(request)
                    request = Request()
                case .end:
                    break loop
                }
            }
            try await dispatch(request)
            request = Request()
            try await group.waitForAll()
        }
    }
}
