public import Hummingbird
public import Logging
public import Telemetry
import MetricsEndpoint

/// The REST API: its routes, over the store gateway and the publisher.
public struct ConfigAPI: Sendable {
    public struct Limits: Sendable {
        /// One record's body: room for a 100 kB field to get a 422 naming it.
        public var singleBody = 256 * 1024
        /// `POST /targets/bulk` and `PUT /config/*`: 10,000 targets fit.
        public var documentBody = 8 * 1024 * 1024

        public init() {}
    }

    let gateway: StoreGateway
    let publisher: ConfigPublisher
    let limits: Limits
    let logger: Logger

    public init(gateway: StoreGateway, publisher: ConfigPublisher, limits: Limits = Limits(), logger: Logger) {
        self.gateway = gateway
        self.publisher = publisher
        self.limits = limits
        self.logger = logger
    }

    /// The router with every route; `token` nil only with `--no-auth`.
    public func router(token: String?, metrics: MetricsRegistry = .discarding) -> (Router<BasicRequestContext>, RouteTable) {
        let router = Router()
        router.add(middleware: RequestMetricsMiddleware(registry: metrics, listener: "api"))
        var table = RouteTable()
        // The error middleware goes first: it also answers the auth middleware's 401.
        let routes = RouteTableBox()
        let errors = JSONErrorMiddleware<BasicRequestContext>(routes: routes, logger: logger)
        router.add(middleware: errors)
        if let token { router.add(middleware: TokenAuthMiddleware(token: Array(token.utf8))) }
        registerStatusRoutes(router, &table)
        registerTargetRoutes(router, &table)
        registerCatalogRoutes(router, &table)
        registerConfigRoutes(router, &table)
        routes.set(table)
        return (router, table)
    }
}

extension Router<BasicRequestContext> {
    /// Registers a route and records it in `table` (OpenAPI's `{id}` form works for both).
    func route(
        _ method: HTTPRequest.Method, _ path: String, _ table: inout RouteTable,
        _ handler: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response
    ) {
        table.add(method.rawValue, path)
        on(RouterPath(path), method: method, use: handler)
    }
}

/// The route table, set once the routes are registered; the error middleware, made before
/// the routes, reads it to answer 405 with the methods a path allows.
final class RouteTableBox: Sendable {
    private let table = Mutex(RouteTable())

    func set(_ value: RouteTable) { table.withLock { $0 = value } }
    var value: RouteTable { table.withLock { $0 } }
}

import Synchronization
