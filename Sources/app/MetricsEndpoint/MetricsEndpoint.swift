import Foundation
import Hummingbird
public import Logging
import NIOCore
public import PipelineConfig
public import ServiceLifecycle
public import Telemetry

/// `GET /metrics` (Prometheus' text format), `GET /health` (the process answers) and
/// `GET /ready` (every part of the run can do its work; 503 with the reasons when not), on an
/// address of their own: `metrics: { address: … }` of `smokeflow run`, `metrics_bind` of
/// `smokeflow serve`.
public struct MetricsEndpoint: Sendable {
    public let service: any Service
    public let address: ListenAddress
    private let listening: AsyncStream<Int>
    private let announce: AsyncStream<Int>.Continuation

    /// `onListening` gets the bound port (for `…:0`).
    public init(
        address: ListenAddress, registry: MetricsRegistry, health: HealthChecks, logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.address = address
        let (listening, announce) = AsyncStream.makeStream(of: Int.self)
        self.listening = listening
        self.announce = announce
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            let body = registry.exposition()
            return Response(
                status: .ok, headers: [.contentType: MetricsRegistry.contentType],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("/health") { _, _ -> Response in
            Self.json(.ok, ["status": "ok"])
        }
        router.get("/ready") { _, _ -> Response in
            let problems = health.problems()
            guard !problems.isEmpty else { return Self.json(.ok, ["status": "ready"]) }
            return Self.json(
                .serviceUnavailable,
                ["status": "not_ready", "problems": problems.map { ["component": $0.name, "reason": $0.reason] }])
        }
        service = Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "smokeflow"),
            onServerRunning: { channel in
                if let port = channel.localAddress?.port {
                    onListening(port)
                    announce.yield(port)
                }
                announce.finish()
            },
            logger: logger)
    }

    /// Serves while `body` runs: `body` starts once the address is bound, and the endpoint stops
    /// when it returns. An address that cannot be bound fails before `body` starts.
    public func serving<T: Sendable>(logger: Logger, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let group = ServiceGroup(configuration: .init(services: [service], logger: logger))
        let server = Task {
            defer { announce.finish() }
            try await group.run()
        }
        var bound: Int?
        for await port in listening { bound = port }
        guard let bound else {
            // The server ended before listening: its error says why.
            let cause = await server.result.failure.map { "\($0)" } ?? "the server stopped"
            throw MetricsEndpointError(description: "metrics: cannot listen on \(address): \(cause)")
        }
        logger.info("metrics on http://\(address.host.contains(":") ? "[\(address.host)]" : address.host):\(bound)/metrics")
        let result: Result<T, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        // A graceful stop: the listener closes its channels rather than being cancelled.
        await group.triggerGracefulShutdown()
        _ = await server.result
        return try result.get()
    }

    private static func json(_ status: HTTPResponse.Status, _ object: [String: any Sendable]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        var body = ByteBuffer(bytes: data)
        body.writeString("\n")
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
    }
}

public struct MetricsEndpointError: Error, CustomStringConvertible {
    public let description: String
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
