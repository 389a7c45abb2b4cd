import AsyncHTTPClient
import Components
import Foundation
import PipelineConfig
import PipelineRuntime
import Postgres
import SmokePingConfig
import TargetStore

/// The checks of what the configuration names: the env file, the pipeline file, the InfluxDB
/// servers and PostgreSQL databases it writes to or reads from, SmokePing's files. Each names
/// a server as `host:port`, never with its credentials.
enum ServiceChecks {
    /// The env file's values, or the problem with it (too open, unreadable, a bad line).
    static func environmentFile(_ path: String) -> (DoctorFinding, [String: String]) {
        guard FileManager.default.fileExists(atPath: path) else {
            return (.problem("env-file", "\(path) does not exist", fix: "create it: smokeflow init --env-file \(path)"), [:])
        }
        do {
            let values = try EnvironmentFile.parse(try EnvironmentFile.readPrivate(path), file: path)
            return (.ok("env-file", "\(path) is private (0600 or stricter), \(values.count) values"), values)
        } catch {
            let first = error.errors.first?.description ?? "\(path): unreadable"
            let fix = first.contains("chmod 600") ? "chmod 600 \(path)" : "correct the line it names (NAME=value)"
            return (.problem("env-file", first.replacingOccurrences(of: "; run chmod 600 \(path)", with: ""), fix: fix), [:])
        }
    }

    static func pipeline(_ file: String, envFile: String?, environment: [String: String]) -> (DoctorFinding, LoadedPipeline?) {
        do {
            let loaded = try LoadedPipeline.load(file, envFile: envFile, environment: environment)
            return (.ok("pipeline", "\(file) is valid (\(loaded.definition.components.count) stages)"), loaded)
        } catch {
            let more = error.errors.count > 1 ? " (and \(error.errors.count - 1) more)" : ""
            return (.problem("pipeline", (error.errors.first?.description ?? file) + more, fix: "smokeflow validate \(file) lists every problem"), nil)
        }
    }

    /// The InfluxDB servers of a pipeline's `influx` sinks and `influx_query` sources.
    static func influxServers(_ definition: PipelineDefinition) -> [(id: String, options: InfluxServerOptions, v2: Bool, database: String?, org: String?, bucket: String?)] {
        definition.components.compactMap { component in
            var reader = component.optionsReader()
            switch (component.kind, component.type) {
            case (.sink, "influx"):
                let sink = InfluxSinkConfiguration(options: &reader)
                return (component.id, sink.server, sink.api == .v2, sink.database, sink.org, sink.bucket)
            case (.source, "influx_query"):
                let server = InfluxServerOptions(options: &reader)
                return (component.id, server, false, reader.string("database"), nil, nil)
            default:
                return nil
            }
        }
    }

    static func influx(_ server: (id: String, options: InfluxServerOptions, v2: Bool, database: String?, org: String?, bucket: String?), client: HTTPClient) async -> DoctorFinding {
        let check = "influxdb (\(server.id))"
        switch await InfluxServerCheck.check(server.options, v2: server.v2, database: server.database, org: server.org, bucket: server.bucket, client: client) {
        case .ok(let detail): return .ok(check, detail)
        case .problem(let detail, let fix): return .problem(check, detail, fix: fix)
        }
    }

    /// Every connection string the configuration names: DATABASE_URL (the store of `serve`
    /// and `targets`), the pipeline's `database_url`, each `postgres_join`'s own.
    static func databases(environment: [String: String], pipeline: LoadedPipeline?) -> [(use: String, url: String)] {
        var found: [(use: String, url: String)] = []
        if let url = environment["DATABASE_URL"], !url.isEmpty { found.append(("DATABASE_URL", url)) }
        if let url = pipeline?.settings.databaseURL?.value, !url.isEmpty { found.append(("database_url", url)) }
        for component in pipeline?.definition.components ?? [] where component.type == "postgres_join" {
            var reader = component.optionsReader()
            if let url = reader.secret("database_url")?.value, !url.isEmpty { found.append((component.id, url)) }
        }
        var seen: Set<String> = []
        return found.filter { seen.insert($0.url).inserted }
    }

    /// Connects, then reads the migration table: a store behind on migrations is a problem.
    static func postgres(use: String, url: String) async -> DoctorFinding {
        let check = "postgresql (\(use))"
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(url)
        } catch {
            return .problem(check, String(describing: error).replacingOccurrences(of: url, with: "<redacted>"),
                fix: "start PostgreSQL there, or correct the host, port, user or password of \(use)")
        }
        do {
            let rows = try await connection.query("SELECT current_user, current_database()")
            let who = try rows.first.map { "\(try $0.decode(1, as: String.self)) as \(try $0.decode(0, as: String.self))" } ?? "?"
            let migrator = Migrator()
            let pending = try await migrator.status(connection).filter { $0.appliedAt == nil }
            await connection.close()
            guard pending.isEmpty else {
                return .problem(check, "database \(who): \(pending.count) of \(migrator.latestVersion) migrations not applied",
                    fix: "smokeflow db migrate (with DATABASE_URL set)")
            }
            return .ok(check, "database \(who) answers; schema at version \(migrator.latestVersion)")
        } catch {
            await connection.close()
            return .problem(check, "connected, but: \(error)", fix: "grant the user SELECT on the smokeflow tables")
        }
    }

    static func smokePingConfig(_ path: String) -> (DoctorFinding, SmokePingConfig?) {
        guard FileManager.default.isReadableFile(atPath: path) else {
            return (.problem("smokeping-config", "\(path) is not readable", fix: "give the user read access to it (and its @includes), or pass --smokeping-config"), nil)
        }
        do {
            let config = try SmokePingConfig.read(file: path)
            return (.ok("smokeping-config", "\(path) reads (\(config.targets.count) target\(config.targets.count == 1 ? "" : "s"))"), config)
        } catch {
            return (.problem("smokeping-config", error.errors.first?.description ?? path, fix: "smokeping --check --config=\(path)"), nil)
        }
    }

    /// Counts `.rrd` files under `path` (bounded: enough to say the data is there).
    static func smokePingData(_ path: String) -> DoctorFinding {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return .problem("smokeping-datadir", "\(path) is not a folder", fix: "set datadir in SmokePing's General section, or pass --smokeping-datadir")
        }
        guard let walker = FileManager.default.enumerator(atPath: path), FileManager.default.isReadableFile(atPath: path) else {
            return .problem("smokeping-datadir", "\(path) is not readable", fix: "add the user to SmokePing's group (adduser smokeflow smokeping)")
        }
        var count = 0
        while count < 100_000, let file = walker.nextObject() as? String {
            if file.hasSuffix(".rrd") { count += 1 }
        }
        return .ok("smokeping-datadir", "\(path) is readable (\(count) RRD files)")
    }
}
