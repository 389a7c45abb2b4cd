public import Foundation
import Postgres
public import PipelineRuntime

/// Checkpoints as rows of `smokeflow_checkpoints`, so several agents can share one database.
/// Each save is one upsert statement (atomic on its own).
public struct PostgresCheckpointStorage: CheckpointStorage {
    let database: PostgresReconnecting

    public init(connectionString: String) {
        database = PostgresReconnecting(connectionString: connectionString)
    }

    public var description: String { "postgres smokeflow_checkpoints" }

    public func load(_ name: String) async throws -> Data? {
        let rows = try await database.withConnection { try await $0.query("SELECT document FROM smokeflow_checkpoints WHERE name = \(name)") }
        guard let row = rows.first else { return nil }
        return Data(try row.decode(0, as: PostgresBytes.self).bytes)
    }

    public func save(_ name: String, _ document: Data) async throws {
        let bytes = PostgresBytes(Array(document))
        try await database.withConnection {
            _ = try await $0.query("""
                INSERT INTO smokeflow_checkpoints (name, document) VALUES (\(name), \(bytes)::bytea)
                ON CONFLICT (name) DO UPDATE SET document = EXCLUDED.document, updated_at = now()
                """)
        }
    }

    public func close() async {
        await database.close()
    }
}
