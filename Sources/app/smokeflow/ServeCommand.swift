import ArgumentParser
import ConfigManager
import Foundation
import Logging
import PipelineConfig
import Postgres
import ServiceLifecycle
import SmokeflowApp
import TargetStore

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The configuration manager: a REST API over the target store that writes SmokePing's files and reloads it."
    )

    @Option(help: "A YAML file of these settings (bind:, database_url:, …); flags win.") var config: String?
    @Option(name: .customLong("env-file"), help: "Credentials (API_TOKEN, DATABASE_URL); must be mode 0600.") var envFile: String?
    @Option(name: .customLong("database-url"), help: "Database mode: the PostgreSQL store (default: $DATABASE_URL).") var databaseURL: String?
    @Option(name: .customLong("targets-file"), help: "File mode: the targets YAML the store is kept in.") var targetsFile: String?
    @Option(name: .customLong("smokeping-dir"), help: "Where the generated Targets and Probes go.") var smokePingDir: String?
    @Option(name: .customLong("smokeping-pidfile"), help: "SmokePing's pidfile, for reloads (SIGHUP).") var smokePingPidfile: String?
    @Option(name: .customLong("smokeping-config"), help: "SmokePing's whole config (it @includes the generated files), for smokeping --check.")
    var smokePingConfig: String?
    @Option(name: .customLong("smokeping-log"), help: "SmokePing's --logfile, where a reload is seen to succeed.") var smokePingLog: String?
    @Option(help: "The API's address.") var bind: String?
    @Option(name: .customLong("web-bind"), help: "The web admin's address (default 127.0.0.1:8080; off: none).") var webBind: String?
    @Option(name: .customLong("metrics-bind"), help: "Where /metrics, /health and /ready are served (default off).") var metricsBind: String?
    @Flag(name: .customLong("web-secure-cookies"), help: "Secure session cookies (the web admin is behind a TLS proxy).") var webSecureCookies = false
    @Option(name: .customLong("rrd-dir"), help: "The RRD tree the web admin's graphs read (SmokePing's datadir or the rrd sink's path).") var rrdDir: String?
    @Option(name: .customLong("influx-url"), help: "Graphs from InfluxDB 1.x instead (latency and its rollups); credentials from INFLUX_USERNAME and INFLUX_PASSWORD (the env file).") var influxURL: String?
    @Option(name: .customLong("influx-database"), help: "The InfluxDB database of the graphs (default smokeping).") var influxDatabase: String?
    @Option(name: .customLong("database-pool"), help: "Database connections at most (default 4).") var databasePool: Int?
    @Flag(name: .customLong("no-auth"), help: "No API token (loopback binds only).") var noAuth = false
    @Option(name: .customLong("state-dir"), help: "Where the store snapshot for stale reads is kept.") var stateDir: String?
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = bootstrapLogging(logging)
        warnAboutCommandLineDatabaseURL(databaseURL)
        try await failing {
            let settings = try settings()
            let server = try await ServeSetup(settings: settings, logger: logger).server()
            let group = ServiceGroup(configuration: .init(
                services: server.services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
            ))
            try await group.run()
        }
    }

    func settings() throws -> ServeSettings {
        var settings = try config.map { try ServeSettings.read($0, environment: ProcessInfo.processInfo.environment) } ?? ServeSettings()
        if let envFile { settings.envFile = envFile }
        if let databaseURL { settings.databaseURL = databaseURL }
        if let targetsFile { settings.targetsFile = targetsFile }
        if let smokePingDir { settings.smokePingDirectory = smokePingDir }
        if let smokePingPidfile { settings.smokePingPidfile = smokePingPidfile }
        if let smokePingConfig { settings.smokePingConfig = smokePingConfig }
        if let smokePingLog { settings.smokePingLog = smokePingLog }
        if let bind { settings.bind = bind }
        if let webBind { settings.webBind = webBind }
        if let metricsBind { settings.metricsBind = metricsBind }
        if webSecureCookies { settings.webSecureCookies = true }
        if let rrdDir { settings.rrdDirectory = rrdDir }
        if let influxURL { settings.influxURL = influxURL }
        if let influxDatabase { settings.influxDatabase = influxDatabase }
        if let databasePool {
            guard (1...64).contains(databasePool) else { throw ValidationError("--database-pool must be 1 to 64") }
            settings.databasePool = databasePool
        }
        if noAuth { settings.noAuth = true }
        if let stateDir { settings.stateDirectory = stateDir }
        return settings
    }
}
