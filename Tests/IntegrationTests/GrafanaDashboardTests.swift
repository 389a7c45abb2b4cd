import Components
import Foundation
import Postgres
import SmokeflowTesting
import Testing

/// Every panel query of docker/grafana/dashboards, run by scripts/lib/check-dashboards.py against
/// the real influxd, PostgreSQL and Prometheus, on data the `smokeflow` binary wrote: the store
/// from `db migrate` and `targets import`, a day of rounds (fixtures/day.lp.zst) through
/// postgres_join into InfluxDB with hourly and daily rollups, and a tailing pipeline's metrics
/// that Prometheus scrapes. The checker prints each query and what it returned (the proof
/// quoted in notes; SMOKEFLOW_DASHBOARD_PROOF names a file to keep it in).
@Suite(.serialized, .timeLimit(.minutes(5)))
struct GrafanaDashboardTests: CommandLineRunning {
    static let psql = "/usr/bin/psql"
    static var installed: Bool { [PrometheusServer.executable, psql, "/usr/bin/rrdtool"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) } }
    static var enabled: Bool { (installed && Servers.influxURL != nil && PostgresServers.url != nil) || Servers.required }
    static let checker = packageRoot() + "/scripts/lib/check-dashboards.py"
    /// The fixture's day (rounds from 2025-11-29T00:00:53Z to 23:55:53Z) and an hour either side,
    /// so the daily rollup, stamped at the day's end, is inside.
    static let range = ["--from", "1764370800000", "--to", "1764464400000"]

    /// Targets of the fixture's series: categories, sites and cache groups that make each
    /// chained variable narrow the next; router-006 inactive (its points are dropped).
    static let targets = """
        targets:
          - { name: router-001, host: 192.0.2.1, title: Core router 1, category: Core, probe: FPing, site: ams, cachegroup: cg-west }
          - { name: router-005, host: "2001:db8::5", title: Core router 5, category: Core, probe: FPing6, site: fra, cachegroup: cg-east }
          - { name: router-002, host: 192.0.2.2, title: Edge router 2, category: Edge, probe: FPing, site: ams, cachegroup: cg-west }
          - { name: router-006, host: 192.0.2.6, title: Edge router 6, category: Edge, probe: FPing, site: fra, cachegroup: cg-east, active: false }
          - { name: router-003, host: 192.0.2.3, title: Peering router 3, category: Peers, probe: FPing, site: lon, cachegroup: cg-peering }
          - { name: router-004, host: 192.0.2.4, title: Customer router 4, category: Customers, probe: FPing }
          - { name: dns-resolver-a, host: 192.0.2.53, title: Resolver A, category: DNS, probe: DNS, lookup: example.org, site: ams }
          - { name: dns-resolver-b, host: 192.0.2.54, title: Resolver B, category: DNS, probe: DNS, lookup: example.org, site: fra }
        """

    @Test(.enabled(if: enabled))
    func everyPanelQueryReturnsTheSeriesAndUnitsItsPanelExpects() async throws {
        try #require(Self.installed, "prometheus, psql or rrdtool is missing (Debian's prometheus, postgresql-client, rrdtool; scripts/test installs them)")
        let influx = try #require(Servers.influxURL, "SMOKEFLOW_INFLUX_URL is not set (scripts/test starts influxd)")
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = ["DATABASE_URL": try await PostgresServers.freshDatabase()]
        try await prepareStore(directory, environment)
        let database = "grafana_" + UUID().uuidString.prefix(8).lowercased()
        for name in [database, database + "_tail"] { _ = try await Servers.influxQuery(influx, "CREATE DATABASE \(name)") }

        // The rounds, their rollups, and an RRD tree of every series for the tailing pipeline.
        try """
            state_dir: \(directory)/state-write
            sources:
              recorded: { type: fixture, path: \(packageRoot())/fixtures/day.lp.zst }
            transforms:
              metadata: { type: postgres_join, inputs: [recorded], unknown: pass }
              hourly: { type: downsample, inputs: [metadata], window: 1h, measurements: [latency, dns_latency], flush_at_end: true }
              daily: { type: downsample, inputs: [metadata], window: 1d, measurements: [latency, dns_latency], flush_at_end: true }
            sinks:
              influx: { type: influx, inputs: [metadata, hourly, daily], url: "\(influx)", database: \(database), precision: s }
              rrd: { type: rrd, inputs: [recorded], path: \(directory)/rrd }
            """.write(toFile: directory + "/write.yaml", atomically: true, encoding: .utf8)
        let written = try await smokeflow(["run", directory + "/write.yaml", "--log-level", "warning"], environment: environment)
        try #require(written.status == 0, "smokeflow run write.yaml: \(written.stderr)")

        // A running pipeline for the smokeflow dashboard: the tree tailed through the join
        // (router-006's points filtered) to InfluxDB, and to a database that does not exist,
        // whose sink retries with a small buffer that drops: retries, drops and a backlog.
        let metricsPort = Servers.freePort()
        try """
            state_dir: \(directory)/state-tail
            shutdown_timeout: 5s
            metrics: { address: "127.0.0.1:\(metricsPort)" }
            sources:
              tail: { type: rrd, path: \(directory)/rrd, mode: tail, poll_interval: 2s, probe_types: { "DNS/**": dns } }
            transforms:
              metadata: { type: postgres_join, inputs: [tail], unknown: pass }
            sinks:
              influx: { type: influx, inputs: [metadata], url: "\(influx)", database: \(database)_tail, precision: s }
              unwritable: { type: influx, inputs: [metadata], url: "\(influx)", database: \(database)_missing, precision: s, buffer: { type: memory, max_batches: 4, when_full: drop_newest } }
            """.write(toFile: directory + "/tail.yaml", atomically: true, encoding: .utf8)
        let tail = try start(smokeflowExecutable, ["run", directory + "/tail.yaml", "--log-level", "error"], environment, directory + "/tail.log")
        defer { if tail.isRunning { tail.terminate() } }
        // New rows all along (SmokePing's rrdtool updates), so the rates are not all zero.
        let appender = try startWithSignals("/usr/bin/env", ["python3", packageRoot() + "/scripts/lib/rrd-appender.py", directory + "/rrd", "--interval", "0.5"],
                                            log: directory + "/appender.log")
        var appenderEnded = false
        defer { if !appenderEnded { kill(appender, SIGKILL) } }
        let prometheusPort = Servers.freePort()
        let prometheus = try start(
            PrometheusServer.executable, try PrometheusServer.arguments(scraping: metricsPort, port: prometheusPort, in: directory),
            [:], directory + "/prometheus.log")
        defer { if prometheus.isRunning { prometheus.terminate() } }

        // The checker waits (at most 120 s) for the scraped series itself, then checks all.
        var arguments = [Self.checker, "--influx-url", influx, "--influx-db", database, "--prometheus-url", "http://127.0.0.1:\(prometheusPort)",
                         "--prometheus-minutes", "2", "--scrape-interval", "1s", "--wait-seconds", "120"] + Self.range
        if let proof = Servers.environment["SMOKEFLOW_DASHBOARD_PROOF"] { arguments += ["--output", proof] }
        let check = try await runToEnd("/usr/bin/env", ["python3"] + arguments, environment, directory + "/check.log")
        let logs = ["tail.log", "prometheus.log"].map { (try? String(contentsOfFile: directory + "/" + $0, encoding: .utf8))?.suffix(1500) ?? "" }
        #expect(check.status == 0, "check-dashboards.py found problems:\n\(check.output)\nsmokeflow: \(logs[0])\nprometheus: \(logs[1])")
        let dashboards = try FileManager.default.contentsOfDirectory(atPath: packageRoot() + "/docker/grafana/dashboards").filter { $0.hasSuffix(".json") }
        #expect(check.output.contains("\(dashboards.count) dashboards, 0 problem(s)"), "\(check.output)")

        // And it fails on a dashboard naming a field docs/schema.md lacks.
        let broken = directory + "/broken"
        try FileManager.default.createDirectory(atPath: broken, withIntermediateDirectories: true)
        let smoke = try String(contentsOfFile: packageRoot() + "/docker/grafana/dashboards/smoke.json", encoding: .utf8)
        try smoke.replacingOccurrences(of: #"mean(\"median\")"#, with: #"mean(\"rtt\")"#)
            .write(toFile: broken + "/smoke.json", atomically: true, encoding: .utf8)
        let refused = try await runToEnd(
            "/usr/bin/env", ["python3", Self.checker, "--dashboards", broken, "--influx-url", influx, "--influx-db", database,
                             "--prometheus-url", "http://127.0.0.1:\(prometheusPort)"] + Self.range, environment, directory + "/broken.log")
        #expect(refused.status == 1 && refused.output.contains("'rtt' is neither a tag nor a field of latency"), "\(refused.output)")
        _ = await ProbeLab.finish(appender)
        appenderEnded = true
        for process in [tail, prometheus] { process.terminate() }
        for process in [tail, prometheus] { await process.exited() }
        for name in [database, database + "_tail"] { _ = try await Servers.influxQuery(influx, "DROP DATABASE \(name)") }
    }

    /// The JSON is what docker/grafana/make-dashboards.py writes (no hand edit drifts from it),
    /// with unique uids and only provisioned datasources. Needs no server.
    @Test func theDashboardsAreTheGeneratorsOutput() async throws {
        let check = try await runProgram("/usr/bin/env", ["python3", packageRoot() + "/docker/grafana/make-dashboards.py", "--check"], mergingErrors: true)
        #expect(check.status == 0, "\(check.output)")
    }

    /// `db migrate`, the categories the targets name, `targets import`: as an operator does.
    func prepareStore(_ directory: String, _ environment: [String: String]) async throws {
        let migrated = try await smokeflow(["db", "migrate"], environment: environment)
        try #require(migrated.status == 0, "db migrate: \(migrated.stderr)")
        let connection = try await PostgresConnection.connect(try #require(environment["DATABASE_URL"]))
        try await connection.query(
            "INSERT INTO categories (name, display_name) VALUES ('Core', 'Core'), ('Edge', 'Edge'), ('Peers', 'Peers'), ('Customers', 'Customers'), ('DNS', 'DNS resolvers')")
        await connection.close()
        try Self.targets.write(toFile: directory + "/targets.yaml", atomically: true, encoding: .utf8)
        let imported = try await smokeflow(["targets", "import", directory + "/targets.yaml"], environment: environment)
        try #require(imported.status == 0, "targets import: \(imported.stderr)")
    }

    /// A process with `environment` added to the test's, its output into `log`.
    func start(_ executable: String, _ arguments: [String], _ environment: [String: String], _ log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// A process that starts with no signal blocked (CleanSpawn): Python keeps the test runner's
    /// blocked SIGTERM and would never stop. Ended with `ProbeLab.finish`.
    func startWithSignals(_ executable: String, _ arguments: [String], log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = CleanSpawn.spawn(&pid, executable, &actions, argv)
        guard spawned == 0 else { throw ProbeLab.CommandFailed(description: "\(executable): \(String(cString: strerror(spawned)))") }
        return pid
    }

    /// `start`, then its exit status and output, awaited without holding a thread.
    func runToEnd(_ executable: String, _ arguments: [String], _ environment: [String: String], _ log: String) async throws -> (status: Int32, output: String) {
        let process = try start(executable, arguments, environment, log)
        await process.exited()
        return (process.terminationStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }
}
