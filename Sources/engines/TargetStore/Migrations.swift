public import Postgres

public struct Migration: Sendable {
    public let version: Int
    public let name: String
    let script: StaticString
}

/// Applies the schema's migrations in order, each in its own transaction under an advisory
/// lock, so two agents migrating at once do not race; re-running applies nothing.
public struct Migrator: Sendable {
    public struct Status: Sendable {
        public let version: Int
        public let name: String
        /// When it was applied (server time, ISO 8601), nil when pending.
        public let appliedAt: String?
    }

    /// An arbitrary constant naming smokeflow's migration lock.
    static let lockKey = 7_356_314_150_001

    public init() {}

    public var latestVersion: Int { Schema.migrations.last?.version ?? 0 }

    /// Returns the migrations it applied (empty when the database was up to date).
    @discardableResult
    public func migrate(_ connection: PostgresConnection) async throws -> [Migration] {
        try await connection.execute(script: """
            CREATE TABLE IF NOT EXISTS smokeflow_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        var applied: [Migration] = []
        for migration in Schema.migrations {
            let didApply = try await connection.transaction { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))")
                let done = try await connection.query("SELECT 1 FROM smokeflow_migrations WHERE version = \(migration.version)")
                guard done.count == 0 else { return false }
                try await connection.execute(script: migration.script)
                try await connection.query(
                    "INSERT INTO smokeflow_migrations (version, name) VALUES (\(migration.version), \(migration.name))"
                )
                return true
            }
            if didApply { applied.append(migration) }
        }
        return applied
    }

    public func status(_ connection: PostgresConnection) async throws -> [Status] {
        let exists = try await connection.query("SELECT to_regclass('smokeflow_migrations') IS NOT NULL")
        var appliedAt: [Int: String] = [:]
        if try exists.first?.decode(0, as: Bool.self) == true {
            let rows = try await connection.query(
                "SELECT version, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM smokeflow_migrations"
            )
            for row in rows { appliedAt[try row.decode(0, as: Int.self)] = try row.decode(1, as: String.self) }
        }
        return Schema.migrations.map { Status(version: $0.version, name: $0.name, appliedAt: appliedAt[$0.version]) }
    }
}
