public import PipelineConfig
import Foundation

/// What `smokeflow serve` needs: from its flags, or the same keys in `--config FILE`
/// (`database_url:`, `targets_file:`, …; a flag wins over the file).
public struct ServeSettings: Sendable, Equatable {
    public var envFile: String?
    public var databaseURL: String?
    public var targetsFile: String?
    public var smokePingDirectory: String?
    public var smokePingPidfile: String?
    /// SmokePing's complete configuration (it `@include`s the generated files): what
    /// `smokeping --check` validates after each generation.
    public var smokePingConfig: String?
    /// SmokePing's log (`--logfile`): where a reload is seen to succeed.
    public var smokePingLog: String?
    public var bind = "127.0.0.1:5000"
    /// The web admin's address; `off` serves the API alone.
    public var webBind = "127.0.0.1:8080"
    /// `/metrics`, `/health` and `/ready` of the server; `off` (the default) serves none.
    public var metricsBind = "off"
    /// `Secure` session cookies, for a web admin behind a TLS proxy.
    public var webSecureCookies = false
    /// Where the graphs read rounds: SmokePing's (or the rrd sink's) RRD tree…
    public var rrdDirectory: String?
    /// …or InfluxDB 1.x (`latency` and the rollups), when set.
    public var influxURL: String?
    public var influxDatabase = "smokeping"
    public var databasePool = 4
    public var noAuth = false
    public var stateDirectory: String?

    public init() {}

    public static let keys = [
        "env_file", "database_url", "targets_file", "smokeping_dir", "smokeping_pidfile", "smokeping_config", "smokeping_log", "bind", "web_bind", "database_pool",
        "no_auth", "state_dir", "web_secure_cookies", "rrd_dir", "influx_url", "influx_database", "metrics_bind",
    ]

    /// Reads `--config FILE`; `${VAR}` works in values as in pipeline files.
    public static func read(_ path: String, environment: [String: String]) throws(ConfigErrors) -> ServeSettings {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigErrors([ConfigError(SourceLocation(file: path, line: 0, column: 0), "cannot read the file")])
        }
        let root = try YAMLLoader(environment: environment).load(text: String(decoding: data, as: UTF8.self), file: path)
        guard let pairs = root.mapping else { throw ConfigErrors([ConfigError(root.location, "expected a mapping of serve settings")]) }
        var settings = ServeSettings()
        var errors: [ConfigError] = []
        for (key, value) in pairs {
            guard let name = key.scalar, keys.contains(name) else {
                errors.append(ConfigError(key.location, "unknown setting '\(key.scalar ?? "?")' (expected \(keys.joined(separator: ", ")))"))
                continue
            }
            guard let text = value.scalar else {
                errors.append(ConfigError(value.location, "'\(name)' must be a single value"))
                continue
            }
            switch name {
            case "env_file": settings.envFile = text
            case "database_url": settings.databaseURL = text
            case "targets_file": settings.targetsFile = text
            case "smokeping_dir": settings.smokePingDirectory = text
            case "smokeping_pidfile": settings.smokePingPidfile = text
            case "smokeping_config": settings.smokePingConfig = text
            case "smokeping_log": settings.smokePingLog = text
            case "bind": settings.bind = text
            case "web_bind": settings.webBind = text
            case "metrics_bind": settings.metricsBind = text
            case "database_pool":
                guard let size = Int(text), (1...64).contains(size) else {
                    errors.append(ConfigError(value.location, "database_pool must be 1 to 64"))
                    continue
                }
                settings.databasePool = size
            case "no_auth": settings.noAuth = ["true", "yes", "1"].contains(text.lowercased())
            case "web_secure_cookies": settings.webSecureCookies = ["true", "yes", "1"].contains(text.lowercased())
            case "rrd_dir": settings.rrdDirectory = text
            case "influx_url": settings.influxURL = text
            case "influx_database": settings.influxDatabase = text
            default: settings.stateDirectory = text
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return settings
    }

    /// `HOST:PORT` (IPv6 as `[::1]:5000`) into its parts.
    public static func address(_ text: String) -> (host: String, port: Int)? {
        ListenAddress(text).map { ($0.host, $0.port) }
    }

    public static func isLoopback(_ host: String) -> Bool {
        ListenAddress(host: host, port: 0).isLoopback
    }
}
