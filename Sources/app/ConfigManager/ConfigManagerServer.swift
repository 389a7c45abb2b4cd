import Hummingbird
public import Logging
import NIOCore
import Postgres
public import ServiceLifecycle
public import Telemetry
import Synchronization

/// `smokeflow serve` as services for a `ServiceGroup`: the HTTP server and the publisher.
public struct ConfigManagerServer: Sendable {
    public let gateway: StoreGateway
    public let publisher: ConfigPublisher
    public var services: [any Service]
    /// The port the API listens on once it runs (for `bind: ...:0`).
    public let boundPort: BoundPort

    public final class BoundPort: Sendable {
        private let port = Mutex<Int?>(nil)
        private let waiters = Mutex<[CheckedContinuation<Int, Never>]>([])

        public init() {}

        public func set(_ value: Int) {
            port.withLock { $0 = value }
            for waiter in waiters.withLock({ list in defer { list.removeAll() }; return list }) { waiter.resume(returning: value) }
        }

        /// Waits until the server listens.
        public func value() async -> Int {
            await withCheckedContinuation { continuation in
                let known: Int? = port.withLock { port in
                    if let port { return port }
                    waiters.withLock { $0.append(continuation) }
                    return nil
                }
                if let known { continuation.resume(returning: known) }
            }
        }
    }

    public init(
        store: any ConfigStore, token: String?, host: String, port: Int, snapshotPath: String?,
        publishing: (any SmokePingPublishing)?, logger: Logger, metrics: MetricsRegistry = .discarding
    ) {
        let gateway = StoreGateway(store: store, snapshotPath: snapshotPath, logger: logger)
        let publisher = ConfigPublisher(gateway: gateway, publishing: publishing, logger: logger)
        let api = ConfigAPI(gateway: gateway, publisher: publisher, logger: logger)
        let (router, _) = api.router(token: token, metrics: metrics)
        let boundPort = BoundPort()
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "smokeflow"),
            onServerRunning: { channel in
                if let port = channel.localAddress?.port { boundPort.set(port) }
            },
            logger: logger
        )
        self.gateway = gateway
        self.publisher = publisher
        self.boundPort = boundPort
        services = [application, publisher]
    }
}
