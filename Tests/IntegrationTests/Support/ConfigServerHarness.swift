import AsyncHTTPClient
import ConfigManager
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Postgres
import ServiceLifecycle
import SmokeflowTesting
import TargetStore
import Testing

/// `smokeflow serve`'s server run in the test process on a free port, over a file store in a
/// temporary folder or a fresh, migrated PostgreSQL database; stopped with a graceful shutdown.
final class RunningConfigServer: Sendable {
    let base: String
    let token = "test-token-" + UUID().uuidString
    let mode: StoreMode
    let directory: String
    let server: ConfigManagerServer
    let group: ServiceGroup
    let running: Task<Void, any Error>

    /// Errors only (a 500's details, a failed generation): what a failing test needs to show.
    static let logger = Logger(label: "config-server-test") { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = .error
        return handler
    }

    /// `prepare` is applied to the store before the server starts (no change event): what the
    /// publisher's first generation writes, with nothing pending after it.
    init(
        mode: StoreMode, databaseURL: String? = nil, pool: Int = 4, publishing: (any SmokePingPublishing)? = nil,
        prepare: [StoreOperation] = []
    ) async throws {
        self.mode = mode
        directory = temporaryDirectory()
        let store: any ConfigStore
        switch mode {
        case .file:
            store = FileStore(path: directory + "/targets.yaml", logger: Self.logger)
        case .database:
            let url: String
            if let databaseURL { url = databaseURL } else { url = try await Self.migratedDatabase() }
            store = DatabaseStore(pool: PostgresPool(connectionString: url, size: pool))
        }
        if !prepare.isEmpty { _ = try await store.apply(prepare) }
        server = ConfigManagerServer(
            store: store, token: token, host: "127.0.0.1", port: 0, snapshotPath: directory + "/snapshot.json",
            publishing: publishing, logger: Self.logger
        )
        group = ServiceGroup(services: server.services, logger: Self.logger)
        running = Task { [group] in try await group.run() }
        base = "http://127.0.0.1:\(await server.boundPort.value())"
    }

    static func migratedDatabase() async throws -> String {
        let url = try await PostgresServers.freshDatabase()
        let connection = try await PostgresConnection.connect(url)
        try await Migrator().migrate(connection)
        await connection.close()
        return url
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }

    struct Answer: CustomStringConvertible {
        let status: UInt
        let body: String
        let headers: [(String, String)]

        var object: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var description: String { "\(status) \(body.prefix(500))" }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    enum Auth { case bearer, header, none, wrong }

    /// `timeout` only catches a hang: a CI machine running the whole suite on two cores has
    /// kept one request of fifty concurrent clients waiting past 30 s (fsyncs behind other
    /// tests' writes), so it is far above any answer's time and well inside the suites' limits.
    func call(
        _ method: HTTPMethod, _ path: String, json: String? = nil, auth: Auth = .bearer, contentType: String = "application/json",
        timeout: TimeAmount = .seconds(120)
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        switch auth {
        case .bearer: request.headers.add(name: "Authorization", value: "Bearer \(token)")
        case .header: request.headers.add(name: "X-API-Token", value: token)
        case .wrong: request.headers.add(name: "Authorization", value: "Bearer \(token)x")
        case .none: break
        }
        if let json {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await Servers.client.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Answer(status: response.status.code, body: String(buffer: bytes), headers: response.headers.map { ($0.name, $0.value) })
    }

    /// `GET /targets` as records, ordered by id.
    func targets(_ query: String = "") async throws -> [[String: Any]] {
        let answer = try await call(.GET, "/targets" + query)
        #expect(answer.status == 200, "\(answer)")
        return answer.object["targets"] as? [[String: Any]] ?? []
    }
}

/// Runs `body` against a server of each store mode, stopping it however the body ends.
func withConfigServer(
    _ mode: StoreMode, databaseURL: String? = nil, pool: Int = 4, publishing: (any SmokePingPublishing)? = nil,
    prepare: [StoreOperation] = [], _ body: (RunningConfigServer) async throws -> Void
) async throws {
    let server = try await RunningConfigServer(mode: mode, databaseURL: databaseURL, pool: pool, publishing: publishing, prepare: prepare)
    do {
        try await body(server)
    } catch {
        try? await server.stop()
        throw error
    }
    try await server.stop()
}

extension StoreMode {
    /// The modes an integration run can test: the database one needs the shared PostgreSQL.
    static var testable: [StoreMode] { PostgresServers.runIntegration ? [.file, .database] : [.file] }
}
