import ConfigManager
import Foundation
import Postgres
import TargetStore
import Testing

/// Database mode with PostgreSQL going away: reads come from the last snapshot marked stale,
/// writes answer 503 and write nothing, `/status` says so; all recover when it returns. The
/// server never switches to another store.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct ConfigServerOutageTests {
    @Test(.enabled(if: PostgresServers.runIntegration))
    func readsAreStaleAndWritesRefusedWhileTheDatabaseIsDown() async throws {
        let postgres = try await OwnPostgres()
        try await postgres.start()
        let connection = try await PostgresConnection.connect(postgres.url)
        try await Migrator().migrate(connection)
        await connection.close()
        try await withConfigServer(.database, databaseURL: postgres.url) { server in
            #expect(try await server.call(.POST, "/targets", json: #"{"name":"r1","host":"192.0.2.1"}"#).status == 201)
            // A snapshot exists once something read the whole store.
            #expect(try await server.call(.GET, "/categories").status == 200)

            try await postgres.stop()
            let stale = try await server.call(.GET, "/targets")
            #expect(stale.status == 200, "\(stale)")
            #expect(stale.object["stale"] as? Bool == true)
            #expect((stale.object["targets"] as? [[String: Any]])?.map { $0["name"] as? String } == ["r1"])
            let refused = try await server.call(.POST, "/targets", json: #"{"name":"r2","host":"192.0.2.2"}"#)
            #expect(refused.status == 503, "\(refused)")
            #expect((refused.object["error"] as? String)?.contains("unreachable") == true)
            #expect(!refused.body.contains("postgresql://"))
            let status = try await server.call(.GET, "/status")
            let store = status.object["store"] as? [String: Any]
            #expect(store?["mode"] as? String == "database" && store?["reachable"] as? Bool == false && store?["stale"] as? Bool == true, "\(status)")

            try await postgres.start()
            var written: UInt = 0
            // The pool fails fast for a second after a failed connect; then it reconnects.
            for _ in 0..<50 where written != 201 {
                written = try await server.call(.POST, "/targets", json: #"{"name":"r2","host":"192.0.2.2"}"#).status
                if written != 201 { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(written == 201)
            let fresh = try await server.call(.GET, "/targets")
            #expect(fresh.object["stale"] as? Bool == false && fresh.object["total"] as? Int == 2, "\(fresh)")
        }
        try await postgres.stop()
    }

    @Test(.enabled(if: PostgresServers.runIntegration))
    func aFullPoolAnswers503AfterItsTimeout() async throws {
        let url = try await RunningConfigServer.migratedDatabase()
        let pool = PostgresPool(connectionString: url, size: 1, acquireTimeout: .milliseconds(300))
        let (held, release) = AsyncStream.makeStream(of: Void.self)
        let (taken, signalTaken) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await pool.withConnection { _ in
                signalTaken.yield()
                for await _ in held { break }
            }
        }
        for await _ in taken { break }
        await #expect(throws: PostgresPool.PoolExhausted.self) {
            try await pool.withConnection { _ in }
        }
        release.yield()
        try await holder.value
        let answer = try await pool.withConnection { try await $0.query("SELECT 1").first?.decode(0, as: Int.self) }
        #expect(answer == 1)
        await pool.close()
    }
}
