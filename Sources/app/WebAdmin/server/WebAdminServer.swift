public import ConfigManager
import HTTPTypes
import Hummingbird
public import Logging
public import ServiceLifecycle
public import Telemetry
import MetricsEndpoint

/// The web admin as a service of `smokeflow serve`: a second listener (127.0.0.1:8080 by
/// default) whose pages read and write the same store gateway as the REST API, so a change made
/// here is generated and reloaded like one made through the API.
public struct WebAdminServer: Sendable {
    public struct Settings: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        public var credentials: WebCredentials
        /// `Secure` cookies: set when the admin is served over TLS (behind a TLS proxy).
        public var secureCookies = false
        /// `SECRET_KEY`: signs the session cookies, so replicas sharing it share their users.
        /// Nil: a random key of this process (a restart signs everyone out).
        public var secretKey: String?
        /// What the dashboard says about the streaming pipeline (`run --serve` sets it).
        public var pipelineStatus: @Sendable () async -> String = { "not run by this server (smokeflow run)" }

        /// Where its requests are counted (`serve --metrics-bind`); nothing by default.
        public var metrics = MetricsRegistry.discarding
        public init(credentials: WebCredentials) { self.credentials = credentials }
    }

    public let services: [any Service]
    public let boundPort: ConfigManagerServer.BoundPort

    public init(settings: Settings, gateway: StoreGateway, publisher: ConfigPublisher, graphs: (any SmokeGraphProvider)?, logger: Logger) throws {
        let pages = try WebPage(graphsOn: graphs != nil)
        let admin = WebAdmin.Routes(
            settings: settings, gateway: gateway, publisher: publisher, graphs: graphs, pages: pages,
            sessions: try WebSessions(secretKey: settings.secretKey, credentialStamp: settings.credentials.sessionStamp), throttle: LoginThrottle(), logger: logger)
        let router = Router(context: WebContext.self)
        router.add(middleware: RequestMetricsMiddleware(registry: settings.metrics, listener: "web"))
        router.add(middleware: SecurityHeadersMiddleware())
        // The session first: an error page rendered inside it still carries the CSRF token.
        router.add(middleware: SessionMiddleware(sessions: admin.sessions))
        router.add(middleware: WebErrorMiddleware(pages: pages, logger: logger))
        admin.register(router)
        let boundPort = ConfigManagerServer.BoundPort()
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "smokeflow"),
            onServerRunning: { channel in
                if let port = channel.localAddress?.port { boundPort.set(port) }
            },
            logger: logger
        )
        self.boundPort = boundPort
        services = [application]
    }
}

extension WebAdmin {
    /// Everything the page handlers share.
    struct Routes: Sendable {
        let settings: WebAdminServer.Settings
        let gateway: StoreGateway
        let publisher: ConfigPublisher
        let graphs: (any SmokeGraphProvider)?
        let pages: WebPage
        let sessions: WebSessions
        let throttle: LoginThrottle
        let logger: Logger

        func register(_ router: Router<WebContext>) {
            registerLogin(router)
            registerAssets(router)
            registerDashboard(router)
            registerTargetList(router)
            registerTargetEditing(router)
            registerImport(router)
            registerCatalog(router)
            registerSites(router)
            registerGraphs(router)
        }

        func sessionCookie(_ session: WebSession) -> String {
            var cookie = "\(SessionMiddleware.cookieName)=\(session.cookie); Path=/; HttpOnly; SameSite=Lax"
            if session.persistent { cookie += "; Max-Age=\(30 * 24 * 3600)" }
            if settings.secureCookies { cookie += "; Secure" }
            return cookie
        }

        var expiredCookie: String {
            "\(SessionMiddleware.cookieName)=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0" + (settings.secureCookies ? "; Secure" : "")
        }
    }
}

/// A refusal or a store failure as a page (JSON under /api): the status it deserves, the message
/// it carries, and for anything unexpected an id to find in the log, never the cause itself.
struct WebErrorMiddleware: RouterMiddleware {
    typealias Context = WebContext
    let pages: WebPage
    let logger: Logger

    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let refusal as WebRefusal {
            return answer(request, context, refusal.status, refusal.message)
        } catch let rejection as StoreRejection {
            let status: HTTPResponse.Status = rejection.problems.contains { $0.kind == .conflict } ? .conflict
                : rejection.problems.contains { $0.kind == .notFound } ? .notFound : .unprocessableContent
            return answer(request, context, status, rejection.problems.map { ($0.field.map { "\($0): " } ?? "") + $0.message }.joined(separator: "; "))
        } catch let unavailable as StoreUnavailable {
            return answer(request, context, .serviceUnavailable, unavailable.message)
        } catch let error as HTTPError where error.status == .notFound {
            return answer(request, context, .notFound, "no such page: \(request.uri.path)")
        } catch let error as any HTTPResponseError {
            return answer(request, context, error.status, error.status.reasonPhrase)
        } catch {
            let id = WebSessions.randomToken(bytes: 6)
            logger.error("page failed", metadata: ["error_id": "\(id)", "path": "\(request.uri.path)", "error": "\(error)"])
            return answer(request, context, .internalServerError, "internal error; the server log has the details under error_id \(id)")
        }
    }

    func answer(_ request: Request, _ context: WebContext, _ status: HTTPResponse.Status, _ message: String) -> Response {
        if request.uri.path.hasPrefix("/api/") { return WebPage.json(status: status, ["error": message]) }
        return pages.render("error", title: "\(status.code) \(status.reasonPhrase)", context: context, ["status": status.code, "message": message], status: status)
    }
}
