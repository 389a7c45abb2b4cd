/// A connection opened on first use and opened again after it breaks: for components that
/// query now and then (checkpoint saves, the probes' target list) and must survive the
/// database restarting. A broken connection fails the call that saw it; the next call reconnects.
/// Calls that arrive while a connection is being opened wait for that one attempt (the actor is
/// reentrant at each `await`, so each would otherwise open, and leak, one of its own).
public actor PostgresReconnecting {
    let connectionString: String
    var connection: PostgresConnection?
    var connecting: Task<PostgresConnection, any Error>?

    public init(connectionString: String) {
        self.connectionString = connectionString
    }

    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let current = try await open()
        do {
            return try await body(current)
        } catch let error as PostgresError where error.kind == .connection {
            if connection === current { connection = nil }
            await current.close()
            throw error
        }
    }

    func open() async throws -> PostgresConnection {
        if let connection { return connection }
        let attempt: Task<PostgresConnection, any Error>
        if let connecting {
            attempt = connecting
        } else {
            let connectionString = self.connectionString
            attempt = Task { try await PostgresConnection.connect(connectionString) }
            connecting = attempt
        }
        defer { if connecting == attempt { connecting = nil } }
        let opened = try await attempt.value
        if connection == nil { connection = opened }
        return opened
    }

    public func close() async {
        let attempt = connecting
        connecting = nil
        if let opened = try? await attempt?.value, opened !== connection { await opened.close() }
        await connection?.close()
        connection = nil
    }
}
