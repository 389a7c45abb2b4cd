import SmokeflowTesting
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
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: .init(decompression: .enabled(limit: .none))
    )

    static func get(_ url: String) async throws -> (status: UInt, body: String) {
        try await request(url, method: .GET)
    }

    static func post(_ url: String, body: String = "") async throws -> (status: UInt, body: String) {
        try await request(url, method: .POST, body: body)
    }

    static func request(_ url: String, method: HTTPMethod, body: String = "") async throws -> (status: UInt, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if !body.isEmpty { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return (response.status.code, String(buffer: bytes))
    }

    static func influxQuery(
        _ base: String, _ query: String, database: String? = nil, credentials: (String, String)? = nil
    ) async throws -> Any {
        var components = URLComponents(string: base + "/query")!
        components.queryItems = [URLQueryItem(name: "q", value: query), URLQueryItem(name: "epoch", value: "ns")]
            + (database.map { [URLQueryItem(name: "db", value: $0)] } ?? [])
            + (credentials.map { [URLQueryItem(name: "u", value: $0.0), URLQueryItem(name: "p", value: $0.1)] } ?? [])
        let (status, body) = try await post(components.string!)
        #expect(status == 200, "\(body)")
        return try JSONSerialization.jsonObject(with: Data(body.utf8))
    }

    static func freePort() -> Int { SmokeflowTesting.freePort() }
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

    func stop() {
        guard let process else { return }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
    }

    deinit { stop() }
}

struct InfluxSeries: Decodable {
    var name: String
    var columns: [String]
    var values: [[InfluxValue]]

    func column(_ name: String, row: Int) -> InfluxValue? {
        columns.firstIndex(of: name).map { values[row][$0] }
    }
}

extension Servers {
    /// The series of the first statement's answer.
    static func influxSeries(_ base: String, _ query: String, database: String) async throws -> [InfluxSeries] {
        struct Answer: Decodable {
            struct Result: Decodable { var series: [InfluxSeries]? }
            var results: [Result]
        }
        var components = URLComponents(string: base + "/query")!
        components.queryItems = [
            URLQueryItem(name: "q", value: query), URLQueryItem(name: "epoch", value: "ns"), URLQueryItem(name: "db", value: database),
        ]
        let (status, body) = try await post(components.string!)
        #expect(status == 200, "\(body)")
        return try JSONDecoder().decode(Answer.self, from: Data(body.utf8)).results.first?.series ?? []
    }
}
