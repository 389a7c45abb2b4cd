import Components
import Foundation
import Logging
import Postgres
import ProbeEngine
import SmokeflowTesting
import TargetStore
import Testing

/// Review H5: a connection whose peer went silent (a partition, a proxy that stopped
/// forwarding: no FIN, no RST, and the proxy's kernel still acknowledges, so TCP keepalives see
/// nothing wrong) must fail at the session's query deadline (`statement_timeout` plus a
/// grace), not block the caller until the kernel gives up a quarter of an hour later. Before
/// the fix `DatabaseTargets.targets()` never returned and the join never marked its snapshot
/// stale. The real PostgreSQL of scripts/test behind `scripts/lib/tcp-fault-proxy.py`.
@Suite(.enabled(if: PostgresServers.runIntegration), .timeLimit(.minutes(3)))
struct PostgresBlackholeTests {
    /// A fresh, migrated database with one FPing target, and the proxy in front of its server;
    /// the connection string through the proxy has a 1 s statement_timeout.
    static func setUp() async throws -> (proxy: TCPFaultProxy, url: String) {
        let url = try await PostgresServers.freshDatabase()
        let connection = try await PostgresConnection.connect(url)
        try await Migrator().migrate(connection)
        _ = try await MetadataStore(connection: connection).upsert([TargetRecord(name: "lo", host: "127.0.0.1", site: "ams")])
        await connection.close()
        var components = try #require(URLComponents(string: url))
        let proxy = try TCPFaultProxy(upstreamHost: try #require(components.host), upstreamPort: try #require(components.port))
        components.port = proxy.port
        // libpq wants the `=` inside a URI parameter's value escaped.
        return (proxy, try #require(components.string) + "?options=-c%20statement_timeout%3D1s")
    }

    @Test func databaseTargetsThrowAtTheQueryDeadlineWhenTheServerGoesSilent() async throws {
        let (proxy, url) = try await Self.setUp()
        defer { proxy.stop() }
        let targets = DatabaseTargets(connectionString: url, probeName: "FPing", reader: TargetListReader(kind: .icmp, lookup: nil, record: nil))
        #expect(try await targets.targets().map(\.name) == ["lo"])

        proxy.blackhole()
        // The deadline is 1 s + 2 s; 60 s is only there so a hang fails the test instead of
        // waiting with it (before the fix it waited for the kernel, about 15 minutes).
        let outcome = await finishing(within: .seconds(60)) { try await targets.targets() }
        let result = try #require(outcome, "targets() still blocked 60 s after the server went silent")
        #expect(throws: PostgresError.self) { try result.get() }
        if case .failure(let error as PostgresError) = result {
            #expect(error.kind == .connection)
            #expect(error.description.contains("no answer from the server"), "\(error)")
        }

        // Forwarding again: the next step reconnects.
        proxy.forward()
        #expect(try await targets.targets().map(\.name) == ["lo"])
    }

    @Test func theJoinMarksItsSnapshotStaleWhenTheServerGoesSilent() async throws {
        let (proxy, url) = try await Self.setUp()
        defer { proxy.stop() }
        let cache = MetadataCache()
        let refresher = MetadataRefresher(
            origin: .database(connectionString: url), cache: cache, refreshInterval: .seconds(3600), snapshotStorage: nil,
            snapshotName: "join", logger: Logger(label: "test"), livenessInterval: .milliseconds(500)
        )
        let run = Task { await refresher.run {} }
        defer { run.cancel() }
        #expect(await eventually(within: .seconds(30)) { cache.current.snapshot?.targets.first?.site == "ams" })
        #expect(cache.current.staleSince == nil)

        proxy.blackhole()
        // The liveness ping (every 0.5 s of silence) fails at its 3 s deadline.
        #expect(
            await eventually(within: .seconds(60)) { cache.current.staleSince != nil },
            "the snapshot was not marked stale 60 s after the server went silent")
        #expect(cache.current.snapshot?.targets.first?.site == "ams", "the last snapshot is still served")

        proxy.forward()
        #expect(await eventually(within: .seconds(60)) { cache.current.staleSince == nil }, "did not recover")
    }
}
