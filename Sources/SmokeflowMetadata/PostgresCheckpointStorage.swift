public import Foundation
import Postgres
public import SmokeflowRuntime

/// Checkpoints as rows of `smokeflow_checkpoints`, so several agents can share one database.
/// Each save is one upsert statement (atomic on its own). The connection is opened on first
/// use and reopened after it breaks.
public actor PostgresCheckpointStorage: CheckpointStorage {
    let connectionString: String
    var connection: PostgresConnection?

    public init(connectionString: String) {
        self.connectionString = connectionString
    }

    public nonisolated var description: String { "postgres smokeflow_checkpoints" }

    public func load(_ name: String) async throws -> Data? {
        let rows = try await withConnection { try await $0.query("SELECT document FROM smokeflow_checkpoints WHERE name = \(name)") }
        guard let row = rows.first else { return nil }
        return Data(try row.decode(0, as: PostgresBytes.self).bytes)
    }

    public func save(_ name: String, _ document: Data) async throws {
        let bytes = PostgresBytes(Array(document))
        try await withConnection {
            _ = try await $0.query("""
                INSERT INTO smokeflow_checkpoints (name, document) VALUES (\(name), \(bytes)::bytea)
                ON CONFLICT (name) DO UPDATE SET document = EXCLUDED.document, updated_at = now()
                """)
        }
    }

    func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let current: PostgresConnection
        if let connection { current = connection } else {
            current = try await PostgresConnection.connect(connectionString)
            connection = current
        }
        do {
            return try await body(current)
        } catch let error as PostgresError where error.kind == .connection {
            connection = nil
            await current.close()
            throw error
        }
    }

    public func close() async {
        await connection?.close()
        connection = nil
    }
}
