import Components
import Foundation
import PipelineConfig
import Postgres
import TargetStore
import PipelineRuntime
import SmokeflowTesting
import Testing

/// Against the real PostgreSQL 15 that scripts/test starts; each test has its own database.
@Suite(.enabled(if: PostgresServers.runIntegration), .timeLimit(.minutes(2)))
struct PostgresIntegrationTests {
    func migrated() async throws -> (String, PostgresConnection) {
        let url = try await PostgresServers.freshDatabase()
        let connection = try await PostgresConnection.connect(url)
        try await Migrator().migrate(connection)
        return (url, connection)
    }

    @Test func migrationsBuildTheDocumentedSchemaAndRerunAsNoOp() async throws {
        let url = try await PostgresServers.freshDatabase()
        let connection = try await PostgresConnection.connect(url)
        defer { Task { await connection.close() } }
        #expect(try await Migrator().status(connection).allSatisfy { $0.appliedAt == nil })
        let applied = try await Migrator().migrate(connection)
        #expect(applied.map(\.version) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(try await Migrator().migrate(connection).isEmpty)
        #expect(try await Migrator().status(connection).allSatisfy { $0.appliedAt != nil })

        // The columns docs/schema.md lists, with their types and nullability.
        let rows = try await connection.query("""
            SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name IN ('categories', 'probes', 'targets', 'system_metadata')
            ORDER BY table_name, ordinal_position
            """)
        let columns = try rows.map { "\(try $0.decode(0, as: String.self)).\(try $0.decode(1, as: String.self)) \(try $0.decode(2, as: String.self))\(try $0.decode(3, as: String.self) == "YES" ? " null" : "")" }
        #expect(columns == [
            "categories.id integer", "categories.name text", "categories.display_name text", "categories.description text",
            "categories.created_at timestamp with time zone",
            "probes.id integer", "probes.name text", "probes.binary_path text null", "probes.step_seconds integer", "probes.pings integer",
            "probes.forks integer", "probes.is_default boolean", "probes.created_at timestamp with time zone", "probes.module text null",
            "system_metadata.key text", "system_metadata.value text", "system_metadata.created_at timestamp with time zone",
            "system_metadata.updated_at timestamp with time zone",
            "targets.id integer", "targets.name text", "targets.host text", "targets.title text", "targets.is_active boolean",
            "targets.category_id integer null", "targets.probe_id integer null", "targets.site text null", "targets.cachegroup text null",
            "targets.created_at timestamp with time zone", "targets.updated_at timestamp with time zone", "targets.lookup text null", "targets.record text null", "targets.alerts text null",
        ])
        let foreignKeys = try await connection.query("""
            SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid = 'targets'::regclass ORDER BY conname
            """)
        #expect(try foreignKeys.map { try $0.decode(0, as: String.self) } == ["targets_category_id_fkey", "targets_probe_id_fkey"])
        let seeded = try await connection.query("SELECT name, is_default FROM probes ORDER BY name")
        #expect(try seeded.map { "\(try $0.decode(0, as: String.self)):\(try $0.decode(1, as: Bool.self))" } == ["DNS:false", "FPing:true", "FPing6:false"])
        // updated_at is kept by the trigger.
        try await connection.query("INSERT INTO targets (name, host, updated_at) VALUES ('r1', '192.0.2.1', '2000-01-01')")
        try await connection.query("UPDATE targets SET title = 'x' WHERE name = 'r1'")
        let touched = try await connection.query("SELECT updated_at > now() - interval '1 minute' FROM targets WHERE name = 'r1'")
        #expect(try touched.first?.decode(0, as: Bool.self) == true)
    }

    @Test func changesToTargetsCategoriesAndProbesNotify() async throws {
        let (url, connection) = try await migrated()
        let listener = try await PostgresConnection.connect(url)
        defer { Task { await connection.close(); await listener.close() } }
        try await listener.listen("smokeflow_metadata")
        try await connection.query("INSERT INTO categories (name) VALUES ('core')")
        try await connection.query("UPDATE probes SET pings = 10 WHERE name = 'DNS'")
        try await connection.query("INSERT INTO targets (name, host) VALUES ('r1', '192.0.2.1')")
        try await connection.query("DELETE FROM targets")
        var received: [String] = []
        for _ in 0..<80 where received.count < 4 {
            received += try await listener.notifications(waitingUpTo: .milliseconds(250)).map(\.payload)
        }
        #expect(received == ["categories", "probes", "targets", "targets"])
    }

    @Test func hostileValuesAreStoredAndReturnedVerbatim() async throws {
        let (_, connection) = try await migrated()
        defer { Task { await connection.close() } }
        let hostile = [
            "'; DROP TABLE targets; --", "Robert'); DROP TABLE categories;--", "quote \" and \\ backslash", "{\"a\",NULL}",
            "Zürich — 東京 🚀", String(repeating: "x'", count: 50_000), "$1 $2 ::text", "NULL",
        ]
        for value in hostile {
            let echoed = try await connection.query("SELECT \(value)::text")
            #expect(try echoed.first?.decode(0, as: String.self) == value)
        }
        try await connection.query("INSERT INTO categories (name) VALUES ('core')")
        let records = hostile.enumerated().map { index, value in
            TargetRecord(name: "t\(index)", host: "192.0.2.\(index + 1)", title: value, category: "core", site: value, cachegroup: value)
        }
        try await MetadataStore(connection: connection).upsert(records)
        let back = try await MetadataStore(connection: connection).targets()
        #expect(back.map(\.title) == hostile)
        #expect(back.map(\.site) == hostile)
        #expect(back.allSatisfy { $0.probe == "FPing" })
        let tables = try await connection.query("SELECT count(*) FROM pg_tables WHERE tablename IN ('targets', 'categories')")
        #expect(try tables.first?.decode(0, as: Int.self) == 2)
    }

    @Test func importWithBadRowsImportsNothingAndNamesEveryRow() async throws {
        let (_, connection) = try await migrated()
        defer { Task { await connection.close() } }
        try await TargetImport().run(try TargetFile.parse("name,host\nkeep,192.0.2.9\n", file: "a.csv", format: .csv), into: connection)
        let csv = """
            name,host,category,probe,site
            r1,192.0.2.1,default,FPing,ams
            r2,192.0.2.2,nosuch,FPing,ams
            r 3,192.0.2.3,default,FPing,ams
            r4,192.0.2.4,default,Curl,ams
            r5,not_a host,default,FPing,ams
            keep,192.0.2.10,default,FPing,fra

            """
        let (file, problems) = try TargetFile.check(csv, file: "bad.csv", format: .csv)
        await #expect {
            try await TargetImport().run(file, earlier: problems, into: connection)
        } throws: { error in
            (error as? ConfigErrors)?.errors.map(\.description) == [
                "bad.csv:3:1: target 'r2': unknown category 'nosuch'",
                "bad.csv:4:1: target name 'r 3' must match [-_0-9a-zA-Z]+ (SmokePing's rule)",
                "bad.csv:5:1: target 'r4': unknown probe 'Curl'",
                "bad.csv:6:1: target 'r5': host 'not_a host' is neither an IP address nor a valid host name",
            ]
        }
        let after = try await MetadataStore(connection: connection).targets()
        #expect(after.map(\.name) == ["keep"])
        #expect(after.first?.host == "192.0.2.9")

        let good = try TargetFile.parse(csv.split(separator: "\n").enumerated().filter { [0, 1, 6].contains($0.offset) }.map { String($0.element) }.joined(separator: "\n"), file: "good.csv", format: .csv)
        #expect(try await TargetImport().run(good, into: connection) == 2)
        let updated = try await MetadataStore(connection: connection).targets()
        #expect(updated.map { "\($0.name)@\($0.host)/\($0.site ?? "-")" } == ["keep@192.0.2.10/fra", "r1@192.0.2.1/ams"])
    }

    @Test func wrongPasswordErrorNamesTheProblemNotThePassword() async throws {
        let base = try #require(PostgresServers.url)
        var components = try #require(URLComponents(string: base))
        let secret = "Wr0ng-" + UUID().uuidString
        components.password = secret
        let wrong = try #require(components.string)
        await #expect {
            _ = try await PostgresConnection.connect(wrong)
        } throws: { error in
            let text = "\(error)"
            return text.contains("password authentication failed") && !text.contains(secret) && !text.contains("\n")
        }
    }

    @Test func serverErrorsCarryTheSQLState() async throws {
        let (_, connection) = try await migrated()
        defer { Task { await connection.close() } }
        try await connection.query("INSERT INTO categories (name) VALUES ('core')")
        await #expect {
            try await connection.query("INSERT INTO categories (name) VALUES ('core')")
        } throws: { error in
            (error as? PostgresError)?.isUniqueViolation == true && "\(error)".contains("SQLSTATE 23505")
        }
        // The connection is still usable after a failed statement.
        #expect(try await connection.query("SELECT 1").count == 1)
    }

    @Test func checkpointsLiveInPostgres() async throws {
        let (url, connection) = try await migrated()
        defer { Task { await connection.close() } }
        let storage = PostgresCheckpointStorage(connectionString: url, agent: "a")
        #expect(try await storage.load("rrd-x") == nil)
        try await storage.save("rrd-x", Data("{\"a\":1}".utf8))
        try await storage.save("rrd-x", Data([0, 1, 2, 255]))
        #expect(try await storage.load("rrd-x") == Data([0, 1, 2, 255]))
        let again = PostgresCheckpointStorage(connectionString: url, agent: "a")
        #expect(try await again.load("rrd-x") == Data([0, 1, 2, 255]))
        // Another agent has positions of its own; a row from before agents (agent '') is read
        // by an agent that has none yet.
        let other = PostgresCheckpointStorage(connectionString: url, agent: "b")
        #expect(try await other.load("rrd-x") == nil)
        try await connection.query("INSERT INTO smokeflow_checkpoints (agent, name, document) VALUES ('', 'rrd-x', '\\x07'::bytea)")
        #expect(try await other.load("rrd-x") == Data([7]))
        #expect(try await storage.load("rrd-x") == Data([0, 1, 2, 255]))
        await storage.close()
        await again.close()
        await other.close()
    }
}

/// `checkpoints: postgres`: the RRD reader's positions go to the database instead of the state
/// directory, and a rerun (another agent sharing the database) continues from them.
@Suite(.enabled(if: PostgresServers.runIntegration), .timeLimit(.minutes(2)))
struct PostgresCheckpointPipelineTests {
    @Test func rrdBackfillKeepsItsPositionsInPostgres() async throws {
        let url = try await PostgresServers.freshDatabase()
        let connection = try await PostgresConnection.connect(url)
        defer { Task { await connection.close() } }
        try await Migrator().migrate(connection)
        let tree = SmokePingTree()
        let file = try await tree.create("Core/router-1.rrd")
        try await tree.update(file, rounds: 0..<60, seed: 3)
        func backfill() async throws -> (RunReport, Int) {
            let (key, probe) = Observer.make()
            let report = try await runPipeline("""
                database_url: "\(url)"
                checkpoints: postgres
                sources: { smokeping: { type: rrd, mode: backfill, path: \(tree.root) } }
                sinks: { collect: { type: collect, inputs: [smokeping], probe: \(key) } }
                """)
            return (report, probe.received.withLock { $0.count })
        }
        let (first, sent) = try await backfill()
        #expect(first.succeeded)
        #expect(sent > 50)
        let rows = try await connection.query("SELECT convert_from(document, 'UTF8') FROM smokeflow_checkpoints WHERE name = \("rrd-smokeping")")
        let document = try #require(try rows.first?.decode(0, as: String.self))
        #expect(document.contains(#"Core\/router-1.rrd"#))
        let (second, resent) = try await backfill()
        #expect(second.succeeded)
        #expect(resent == 0)
        try await tree.update(file, rounds: 60..<70, seed: 3)
        let (_, more) = try await backfill()
        #expect(more == 10)
    }
}
