import SmokeflowTesting
import EventModel
import AsyncHTTPClient
import Foundation
import Components
import NIOCore
import NIOHTTP1
import Testing

/// The real servers `scripts/test` starts. Without them the integration suites are skipped,
/// unless SMOKEFLOW_REQUIRE_SERVERS=1 (as in CI), where a missing server fails the test.
enum Servers {
    static let environment = ProcessInfo.processInfo.environment
    static let influxURL = environment["SMOKEFLOW_INFLUX_URL"]
    static let victoriaMetricsURL = environment["SMOKEFLOW_VM_URL"]
    static let influxd = environment["SMOKEFLOW_INFLUXD"] ?? "/usr/bin/influxd"
    static let required = environment["SMOKEFLOW_REQUIRE_SERVERS"] == "1"
    static var runIntegration: Bool { required || influxURL != nil }
    /// Query answers of repetitive test data compress far beyond the shared client's ratio limit.
    /// Waiting for a pooled connection is bounded by the connect timeout (10 s by default): 50
    /// concurrent clients on 8 connections overran it on a CI machine also running Chromium. A
    /// minute to connect keeps that test about the store. The pool stays at 8 per host: 50 at
    /// once would exhaust a 4-connection database pool and get 503s, which is another test.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(decompression: .enabled(limit: .none))
        configuration.timeout = .init(connect: .seconds(60))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    static func get(_ url: String) async throws -> (status: UInt, body: String) {
        try await request(url, method: .GET)
    }

    static func post(_ url: String, body: String = "") async throws -> (status: UInt, body: String) {
        try await request(url, method: .POST, body: body)
    }

    static func request(
        _ url: String, method: HTTPMethod, body: String = "", headers: [(String, String)] = []
    ) async throws -> (status: UInt, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(contentsOf: headers)
        if !body.isEmpty { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return (response.status.code, String(buffer: bytes))
    }

    static func influxQuery(
        _ base: String, _ query: String, database: String? = nil, credentials: (String, String)? = nil
    ) async throws -> Any {
        var components = try #require(URLComponents(string: base + "/query"), "\(base) is not a URL")
        components.queryItems = [URLQueryItem(name: "q", value: query), URLQueryItem(name: "epoch", value: "ns")]
            + (database.map { [URLQueryItem(name: "db", value: $0)] } ?? [])
            + (credentials.map { [URLQueryItem(name: "u", value: $0.0), URLQueryItem(name: "p", value: $0.1)] } ?? [])
        let (status, body) = try await post(try #require(components.string))
        #expect(status == 200, "\(body)")
        return try JSONSerialization.jsonObject(with: Data(body.utf8))
    }

    static func freePort() -> Int { SmokeflowTesting.freePort() }

    /// Unix seconds of `SmokePingTree.start`, for priming the shards of SmokePing-tree tests.
    static let treeStart = Int64(SmokePingTree.start)
}

/// An influxd of the test's own, for tests that stop and start the server.
final class OwnInfluxd: @unchecked Sendable {
    let directory = temporaryDirectory()
    let port = Servers.freePort()
    /// Extra lines for the [http] section, e.g. max-body-size.
    let httpSettings: String
    var process: Process?

    init(httpSettings: String = "") { self.httpSettings = httpSettings }
    var url: String { "http://127.0.0.1:\(port)" }

    func start() async throws {
        let config = """
            reporting-disabled = true
            bind-address = "127.0.0.1:\(Servers.freePort())"
            [meta]
              dir = "\(directory)/meta"
            [data]
              dir = "\(directory)/data"
              wal-dir = "\(directory)/wal"
              query-log-enabled = false
            [http]
              bind-address = "127.0.0.1:\(port)"
              log-enabled = false
              \(httpSettings)
            [logging]
              level = "error"
            """
        try config.write(toFile: directory + "/influxdb.conf", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Servers.influxd)
        process.arguments = ["-config", directory + "/influxdb.conf"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        for _ in 0..<100 {
            if (try? await Servers.get(url + "/ping"))?.status == 204 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("influxd did not start on port \(port)")
    }

    /// Stops influxd and waits for it to be gone (its port closed, its files flushed).
    func stop() async {
        guard let process else { return }
        process.terminate()
        await process.exited()
        self.process = nil
    }

    /// Asks influxd to stop without waiting: for `defer` and `deinit`, which cannot await.
    func terminate() {
        process?.terminate()
        process = nil
    }

    deinit { terminate() }
}

struct InfluxSeries: Decodable {
    var name: String
    var columns: [String]
    var values: [[InfluxValue]]

    func column(_ name: String, row: Int) -> InfluxValue? {
        guard let column = columns.firstIndex(of: name), values.indices.contains(row), values[row].indices.contains(column) else { return nil }
        return values[row][column]
    }

    /// The value of the first row's `name` column as a count (0 when absent): `SELECT count(…)`.
    var count: Int { Int(column("count", row: 0)?.integer ?? 0) }
}

extension Servers {
    /// `SELECT count(field) FROM measurement`: 0 when there is no such series.
    static func influxCount(
        _ base: String, _ database: String, _ field: String, from measurement: String, where condition: String = "", credentials: (String, String)? = nil
    ) async throws -> Int {
        let query = "SELECT count(\(field)) FROM \"\(measurement)\"" + (condition.isEmpty ? "" : " WHERE " + condition)
        return try await influxSeries(base, query, database: database, credentials: credentials).first?.count ?? 0
    }

    /// The series of the first statement's answer.
    static func influxSeries(_ base: String, _ query: String, database: String, credentials: (String, String)? = nil) async throws -> [InfluxSeries] {
        struct Answer: Decodable {
            struct Result: Decodable {
                var series: [InfluxSeries]?
                var error: String?
            }
            var results: [Result]
        }
        var components = try #require(URLComponents(string: base + "/query"), "\(base) is not a URL")
        components.queryItems = [
            URLQueryItem(name: "q", value: query), URLQueryItem(name: "epoch", value: "ns"), URLQueryItem(name: "db", value: database),
        ] + (credentials.map { [URLQueryItem(name: "u", value: $0.0), URLQueryItem(name: "p", value: $0.1)] } ?? [])
        let (status, body) = try await post(try #require(components.string))
        #expect(status == 200, "\(body)")
        let result = try JSONDecoder().decode(Answer.self, from: Data(body.utf8)).results.first
        if let error = result?.error { Issue.record("InfluxQL error for \(query): \(error)") }
        return result?.series ?? []
    }

    /// influxd 1.x (1.6 here, and every 1.x since) frees the cache of an idle shard (new, or
    /// just snapshotted: an empty cache) every 10 s without keeping writes out, and a write
    /// racing it is answered 204 and dropped (tsm1 `Cache.Free` swaps in `emptyStore`, whose
    /// `write` discards the values without an error). Every test database is new, so its first
    /// writes into each shard are exposed. A point in every 7-day shard group of [from, to]
    /// (Unix seconds), checked to be there, keeps those caches non-empty for much longer than a
    /// test (until a cold snapshot, 10 min). The points are `smokeflow_prime v=1i`.
    static func primeShards(_ base: String, database: String, from: Int64, to: Int64, credentials: (String, String)? = nil) async throws {
        let week: Int64 = 7 * 86_400
        let stamps = Array(stride(from: from, through: to + week, by: Int(week)))
        let body = stamps.map { "smokeflow_prime v=1i \($0)" }.joined(separator: "\n")
        var url = try #require(URLComponents(string: base + "/write"), "\(base) is not a URL")
        url.queryItems = [URLQueryItem(name: "db", value: database), URLQueryItem(name: "precision", value: "s")]
            + (credentials.map { [URLQueryItem(name: "u", value: $0.0), URLQueryItem(name: "p", value: $0.1)] } ?? [])
        for _ in 0..<5 {
            let (status, text) = try await post(try #require(url.string), body: body)
            try #require(status == 204, "\(text)")
            // The priming write can itself hit the race: write again until every point is there.
            if try await influxCount(base, database, "v", from: "smokeflow_prime", credentials: credentials) == stamps.count { return }
        }
        Issue.record("could not prime the shards of \(database)")
    }

    /// CREATE DATABASE, primed for points stamped in [from, to] (Unix seconds).
    static func createDatabase(_ base: String, _ database: String, from: Int64, to: Int64, credentials: (String, String)? = nil) async throws {
        _ = try await influxQuery(base, "CREATE DATABASE \(database)", credentials: credentials)
        try await primeShards(base, database: database, from: from, to: to, credentials: credentials)
    }

    /// The Unix seconds `points` span, for `createDatabase`.
    static func span(_ points: [Point]) -> (from: Int64, to: Int64) {
        ((points.map(\.timestamp).min() ?? 0) / 1_000_000_000, (points.map(\.timestamp).max() ?? 0) / 1_000_000_000)
    }
}

/// Prometheus as the metrics tests run it: one smokeflow endpoint scraped every second, its
/// data in the test's folder.
enum PrometheusServer {
    static let executable = "/usr/bin/prometheus"

    /// Writes `directory/prometheus.yml`; returns the arguments that serve on `port`.
    static func arguments(scraping metricsPort: Int, port: Int, in directory: String) throws -> [String] {
        try """
            global: { scrape_interval: 1s, evaluation_interval: 1s }
            scrape_configs:
              - job_name: smokeflow
                static_configs: [{ targets: ["127.0.0.1:\(metricsPort)"] }]
            """.write(toFile: directory + "/prometheus.yml", atomically: true, encoding: .utf8)
        return ["--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/tsdb", "--web.listen-address=127.0.0.1:\(port)"]
    }
}
