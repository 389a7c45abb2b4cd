import Postgres
import TargetStore
import EventModel
import SmokeflowTesting
import Testing

/// `targets_from: postgres`: the probe source probes the configuration store's active targets
/// of its probe, read again before each step (loopback only).
@Suite(.enabled(if: PostgresServers.runIntegration && ProbeLab.enabled), .timeLimit(.minutes(2)))
struct ProbeDatabaseTargetsTests {
    func round(_ url: String, site: String? = nil) async throws -> [String] {
        let (key, probe) = Observer.make()
        let siteOption = site.map { ", site: \($0)" } ?? ""
        let report = try await runPipeline("""
            sources:
              ping: { type: probe, pings: 2, interval: 10ms, timeout: 200ms, targets_from: postgres, database_url: "\(url)"\(siteOption) }
            sinks:
              seen: { type: collect, inputs: [ping], probe: \(key) }
            """)
        #expect(report.succeeded, "\(report.failures)")
        return probe.received.withLock { $0.compactMap { $0.tag("target") }.sorted() }
    }

    @Test func probesTheActiveTargetsOfItsProbeAndSeesChangesNextRound() async throws {
        let url = try await PostgresServers.freshDatabase()
        let connection = try await PostgresConnection.connect(url)
        defer { Task { await connection.close() } }
        try await Migrator().migrate(connection)
        let store = MetadataStore(connection: connection)
        try await store.upsert([
            TargetRecord(name: "lo", host: "127.0.0.1", category: "default"),
            TargetRecord(name: "paused", host: "127.0.0.1", isActive: false),
            TargetRecord(name: "lo6", host: "::1", probe: "FPing6"),
            TargetRecord(name: "resolver", host: "127.0.0.1", probe: "DNS"),
        ])
        #expect(try await round(url) == ["lo"])
        try await store.upsert([TargetRecord(name: "localhost", host: "localhost"), TargetRecord(name: "paused", host: "127.0.0.1")])
        #expect(try await round(url) == ["lo", "localhost", "paused"])
    }

    /// An edge site's agent probes only its site's targets; the others' sites are left alone.
    @Test func aSiteProbesOnlyItsOwnTargets() async throws {
        let url = try await PostgresServers.freshDatabase()
        let connection = try await PostgresConnection.connect(url)
        defer { Task { await connection.close() } }
        try await Migrator().migrate(connection)
        try await MetadataStore(connection: connection).upsert([
            TargetRecord(name: "a1", host: "127.0.0.1", site: "site-a"),
            TargetRecord(name: "a2", host: "127.0.0.2", site: "site-a"),
            TargetRecord(name: "b1", host: "127.0.0.1", site: "site-b"),
            TargetRecord(name: "nowhere", host: "127.0.0.1"),
        ])
        #expect(try await round(url, site: "site-a") == ["a1", "a2"])
        #expect(try await round(url, site: "site-b") == ["b1"])
        #expect(try await round(url) == ["a1", "a2", "b1", "nowhere"])
    }
}
