public import ConfigManager
public import Foundation
public import Logging
import PipelineConfig
public import MetricsEndpoint
import Telemetry
import Postgres
public import ServiceLifecycle
import TargetStore
public import WebAdmin

/// Turns `ServeSettings` into a running configuration manager: the store mode (said once, at
/// start, and in `/status`), the token, the snapshot path, the migrations.
public struct ServeSetup: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let settings: ServeSettings
    let logger: Logger
    let environment: [String: String]
    /// The pipeline beside the server (`run --serve`), for the dashboard.
    let pipelineStatus: PipelineStatus?

    public init(
        settings: ServeSettings, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment,
        pipelineStatus: PipelineStatus? = nil
    ) {
        self.settings = settings
        self.logger = logger
        self.environment = environment
        self.pipelineStatus = pipelineStatus
    }

    /// The API and, unless `web_bind: off`, the web admin beside it on the same store.
    public struct Stack: Sendable {
        public let api: ConfigManagerServer
        public let web: WebAdminServer?
        /// `/metrics`, `/health`, `/ready` (`metrics_bind`), when on.
        public let metrics: MetricsEndpoint?
        public var services: [any Service] { api.services + (web?.services ?? []) + (metrics.map { [$0.service] } ?? []) }
    }

    public func server() async throws -> Stack {
        var variables = environment
        if let envFile = settings.envFile {
            let values = try EnvironmentFile.parse(try EnvironmentFile.readPrivate(envFile), file: envFile)
            // The environment wins, as for pipelines.
            variables = values.merging(environment) { _, fromEnvironment in fromEnvironment }
        }
        guard let (host, port) = ServeSettings.address(settings.bind) else {
            throw Failure(description: "smokeflow serve: --bind '\(settings.bind)' is not HOST:PORT")
        }
        let token: String?
        if settings.noAuth {
            guard ServeSettings.isLoopback(host) else {
                throw Failure(description: "smokeflow serve: --no-auth is only allowed on a loopback bind (127.0.0.1, ::1), not \(host)")
            }
            logger.warning("API authentication is OFF (--no-auth): anyone on this host can change the targets")
            token = nil
        } else {
            guard let value = variables["API_TOKEN"], !value.isEmpty else {
                throw Failure(description: "smokeflow serve: no API_TOKEN (run smokeflow init, then pass --env-file .env), or --no-auth on loopback")
            }
            guard value.utf8.count >= 16 else { throw Failure(description: "smokeflow serve: API_TOKEN is shorter than 16 characters") }
            token = value
        }
        let stateDirectory = settings.stateDirectory ?? StateLocation.defaultDirectory(forPipeline: "serve", environment: environment)
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        let store = try await makeStore(variables: variables, stateDirectory: stateDirectory)
        var publishing: (any SmokePingPublishing)?
        if let directory = settings.smokePingDirectory {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            publishing = SmokePingFilesPublisher(
                directory: directory, configFile: settings.smokePingConfig, pidfile: settings.smokePingPidfile, logFile: settings.smokePingLog
            )
            logger.notice("SmokePing files: \(directory)/Targets and Probes", metadata: [
                "check": "\(settings.smokePingConfig ?? "none")", "pidfile": "\(settings.smokePingPidfile ?? "none")",
            ])
        } else {
            logger.notice("no --smokeping-dir: SmokePing's files are not generated")
        }
        let metricsAddress = try metricsAddress()
        let registry = metricsAddress == nil ? MetricsRegistry.discarding : MetricsRegistry()
        let api = ConfigManagerServer(
            store: store, token: token, host: host, port: port,
            snapshotPath: store.mode == .database ? stateDirectory + "/store-snapshot.json" : nil,
            publishing: publishing, logger: logger, metrics: registry
        )
        let web = try webAdmin(api: api, variables: variables, metrics: registry)
        return Stack(api: api, web: web, metrics: metricsAddress.map { metricsEndpoint($0, registry: registry, gateway: api.gateway) })
    }

    func metricsAddress() throws -> ListenAddress? {
        guard settings.metricsBind != "off" else { return nil }
        guard let address = ListenAddress(settings.metricsBind) else {
            throw Failure(description: "smokeflow serve: --metrics-bind '\(settings.metricsBind)' is not HOST:PORT (or off)")
        }
        return address
    }

    /// The server's own series and readiness: ready while the configuration store answers.
    func metricsEndpoint(_ address: ListenAddress, registry: MetricsRegistry, gateway: StoreGateway) -> MetricsEndpoint {
        ProcessMetrics.register(in: registry, version: SmokeflowVersion.current)
        let health = HealthChecks()
        health.register("configuration_store") {
            gateway.isReachable ? .ready : .notReady("the configuration store is unreachable: reads answer from the last snapshot, writes get 503")
        }
        logger.notice("serve metrics: http://\(address)/metrics")
        return MetricsEndpoint(address: address, registry: registry, health: health, logger: logger)
    }

    func webAdmin(api: ConfigManagerServer, variables: [String: String], metrics: MetricsRegistry) throws -> WebAdminServer? {
        guard settings.webBind != "off" else {
            logger.notice("web admin: off (--web-bind off)")
            return nil
        }
        guard let (host, port) = ServeSettings.address(settings.webBind) else {
            throw Failure(description: "smokeflow serve: --web-bind '\(settings.webBind)' is not HOST:PORT (or off)")
        }
        var web = WebAdminServer.Settings(credentials: WebCredentials(environment: variables))
        web.host = host
        web.port = port
        web.secureCookies = settings.webSecureCookies
        web.secretKey = variables["SECRET_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        web.metrics = metrics
        if let pipelineStatus { web.pipelineStatus = { pipelineStatus.describe() } }
        if web.secretKey == nil {
            logger.notice("web admin: no SECRET_KEY (smokeflow init writes one): sessions end with this process and replicas cannot share them")
        }
        if !web.credentials.configured {
            logger.warning("web admin: no WEB_ADMIN_PASSWORD_HASH or WEB_ADMIN_PASSWORD (run smokeflow init, then --env-file): nobody can sign in")
        }
        logger.notice("web admin: http://\(settings.webBind)/", metadata: ["user": "\(web.credentials.username)"])
        return try WebAdminServer(settings: web, gateway: api.gateway, publisher: api.publisher, graphs: graphProvider(variables: variables), logger: logger)
    }

    /// Where the graphs read rounds: InfluxDB when `influx_url` is set, else the RRD tree.
    /// InfluxDB's credentials: a user and password in the URL, else `INFLUX_USERNAME` and
    /// `INFLUX_PASSWORD` (the env file's and the environment's), else none; never logged.
    func graphProvider(variables: [String: String]) -> (any SmokeGraphProvider)? {
        if let url = settings.influxURL {
            logger.notice("web admin graphs: InfluxDB \(Self.withoutCredentials(url)), database \(settings.influxDatabase)")
            let reader = InfluxSmokeReader(
                baseURL: Self.withoutCredentials(url), database: settings.influxDatabase, credentials: Self.influxCredentials(url: url, variables: variables))
            return StoredRoundsGraphs(source: .influx(reader))
        }
        if let directory = settings.rrdDirectory {
            logger.notice("web admin graphs: RRD files under \(directory)")
            return StoredRoundsGraphs(source: .rrd(directory: directory))
        }
        logger.notice("web admin graphs: off (no --rrd-dir or --influx-url)")
        return nil
    }

    static func influxCredentials(url: String, variables: [String: String]) -> InfluxSmokeReader.Credentials {
        if let components = URLComponents(string: url), let user = components.user, let password = components.password {
            return .basic(user: user.removingPercentEncoding ?? user, password: password.removingPercentEncoding ?? password)
        }
        func value(_ name: String) -> String? { variables[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let user = value("INFLUX_USERNAME"), let password = value("INFLUX_PASSWORD") { return .basic(user: user, password: password) }
        return .none
    }

    /// `url` without a user and password in it, for the log.
    static func withoutCredentials(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.user != nil || components.password != nil else { return url }
        components.user = nil
        components.password = nil
        return components.string ?? "<url>"
    }

    /// Runs the server beside `body` (a pipeline: `smokeflow run --serve FILE`), one process
    /// that probes and serves; the server stops when `body` returns or throws.
    public func runBeside(_ body: () async throws -> Void) async throws {
        let server = try await server()
        let group = ServiceGroup(services: server.services, logger: logger)
        let logger = self.logger
        let serving = Task {
            do { try await group.run() } catch { logger.error("smokeflow serve stopped", metadata: ["error": "\(error)"]) }
        }
        do {
            try await body()
        } catch {
            await group.triggerGracefulShutdown()
            await serving.value
            throw error
        }
        await group.triggerGracefulShutdown()
        await serving.value
    }

    func makeStore(variables: [String: String], stateDirectory: String) async throws -> any ConfigStore {
        let databaseURL = settings.databaseURL ?? (settings.targetsFile == nil ? variables["DATABASE_URL"] : nil)
        if settings.databaseURL != nil, settings.targetsFile != nil {
            throw Failure(description: "smokeflow serve: --database-url and --targets-file both given; the store is one or the other")
        }
        if let databaseURL, !databaseURL.isEmpty {
            let connectionString = ConnectionString.resolve(explicit: databaseURL, pipeline: nil, environment: variables)
            let pool = PostgresPool(connectionString: connectionString, size: settings.databasePool)
            do {
                let applied = try await pool.withConnection { try await Migrator().migrate($0) }
                if !applied.isEmpty { logger.notice("database migrated", metadata: ["now_at": "\(Migrator().latestVersion)"]) }
                logger.notice("store mode: database (PostgreSQL)", metadata: ["pool": "\(settings.databasePool)"])
            } catch {
                logger.error("store mode: database (PostgreSQL), UNREACHABLE at start: reads answer from the last snapshot (stale), writes get 503", metadata: ["error": "\(error)"])
            }
            return DatabaseStore(pool: pool)
        }
        let path = settings.targetsFile ?? stateDirectory + "/targets.yaml"
        logger.notice("store mode: file (no database configured)", metadata: ["path": "\(path)"])
        return FileStore(path: path, logger: logger)
    }
}
