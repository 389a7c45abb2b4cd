import Foundation
import Postgres
import PipelineRuntime
import SmokeflowTesting
import TargetStore
import Testing

/// Checkpoints in one PostgreSQL database shared by several agents, and its connections.
@Suite(.enabled(if: PostgresServers.runIntegration), .timeLimit(.minutes(2)))
struct PostgresCheckpointAgentTests {
    /// Two agents run the same pipeline file (same source id, same relative file name) on
    /// trees with different histories: each keeps its own positions.
    @Test func twoAgentsRunningOneFileNeverShareATreesPositions() async throws {
        let url = try await PostgresServers.freshDatabase()
        let connection = try await PostgresConnection.connect(url)
        try await Migrator().migrate(connection)
        let longer = SmokePingTree()
        try await longer.update(try await longer.create("Core/a.rrd"), rounds: 0..<60, seed: 3)
        let shorter = SmokePingTree()
        let short = try await shorter.create("Core/a.rrd")
        try await shorter.update(short, rounds: 0..<30, seed: 4)
        func backfill(agent: String, tree: SmokePingTree) async throws -> Int {
            let (key, probe) = Observer.make()
            let report = try await runPipeline("""
                agent: \(agent)
                database_url: "\(url)"
                checkpoints: postgres
                sources: { smokeping: { type: rrd, mode: backfill, path: \(tree.root) } }
                sinks: { collect: { type: collect, inputs: [smokeping], probe: \(key) } }
                """)
            #expect(report.succeeded, "\(report.failures)")
            return probe.received.withLock { $0.count }
        }
        let first = try await backfill(agent: "agent-a", tree: longer)
        #expect(first > 50)
        // With one shared document B would start at A's (later) position and send nothing.
        let second = try await backfill(agent: "agent-b", tree: shorter)
        #expect(second > 25)
        try await shorter.update(short, rounds: 30..<40, seed: 4)
        #expect(try await backfill(agent: "agent-b", tree: shorter) == 10)
        #expect(try await backfill(agent: "agent-a", tree: longer) == 0)
        let rows = try await connection.query("SELECT agent, name FROM smokeflow_checkpoints ORDER BY agent")
        let keys = try rows.map { "\(try $0.decode(0, as: String.self))/\(try $0.decode(1, as: String.self))" }
        #expect(keys == ["agent-a/rrd-smokeping", "agent-b/rrd-smokeping"])
        await connection.close()
    }

    /// Two first calls at once share one connection attempt, and `close` ends it: no backend
    /// stays open until the process exits.
    @Test func concurrentFirstCallsShareOneConnectionAndCloseEndsIt() async throws {
        let url = try await PostgresServers.freshDatabase()
        let observer = try await PostgresConnection.connect(url)
        func backends() async throws -> Int {
            let rows = try await observer.query(
                "SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            return try #require(try rows.first?.decode(0, as: Int.self))
        }
        let database = PostgresReconnecting(connectionString: url)
        async let one: Void = database.withConnection { _ = try await $0.query("SELECT 1") }
        async let two: Void = database.withConnection { _ = try await $0.query("SELECT 2") }
        _ = try await (one, two)
        #expect(try await backends() == 1)
        await database.close()
        #expect(try await eventually(within: .seconds(60)) { try await backends() == 0 })
        await observer.close()
    }
}
