/// A connection opened on first use and opened again after it breaks: for components that
/// query now and then (checkpoint saves, the probes' target list) and must survive the
/// database restarting. A broken connection fails the call that saw it; the next call reconnects.
public actor PostgresReconnecting {
    let connectionString: String
    var connection: PostgresConnection?

    public init(connectionString: String) {
        self.connectionString = connectionString
    }

    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
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
