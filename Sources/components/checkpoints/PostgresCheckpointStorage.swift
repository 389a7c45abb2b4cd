public import Foundation
import Postgres
public import PipelineRuntime

/// Checkpoints as rows of `smokeflow_checkpoints`, keyed by agent and name, so several agents
/// can share one database (even running the same pipeline file) without sharing positions.
/// Each save is one upsert statement (atomic on its own).
public struct PostgresCheckpointStorage: CheckpointStorage {
    let database: PostgresReconnecting
    let agent: String

    public init(connectionString: String, agent: String) {
        database = PostgresReconnecting(connectionString: connectionString)
        self.agent = agent
    }

    public var description: String { "postgres smokeflow_checkpoints" }

    public func location(of name: String) -> String { "smokeflow_checkpoints row (agent '\(agent)', name '\(name)')" }

    public func resetAdvice(for name: String) -> String {
        "run DELETE FROM smokeflow_checkpoints WHERE agent = '\(agent)' AND name = '\(name)'"
    }

    /// The agent's own row, else one saved before documents were per agent (agent '').
    public func load(_ name: String) async throws -> Data? {
        let rows = try await database.withConnection {
            try await $0.query("""
                SELECT document FROM smokeflow_checkpoints WHERE name = \(name) AND agent IN (\(agent), '')
                ORDER BY agent DESC LIMIT 1
                """)
        }
        guard let row = rows.first else { return nil }
        return Data(try row.decode(0, as: PostgresBytes.self).bytes)
    }

    public func save(_ name: String, _ document: Data) async throws {
        let bytes = PostgresBytes(Array(document))
        try await database.withConnection {
            _ = try await $0.query("""
                INSERT INTO smokeflow_checkpoints (agent, name, document) VALUES (\(agent), \(name), \(bytes)::bytea)
                ON CONFLICT (agent, name) DO UPDATE SET document = EXCLUDED.document, updated_at = now()
                """)
        }
    }

    public func close() async {
        await database.close()
    }
}
