/// At most `size` libpq connections (each on its own thread), opened when needed and reused.
/// A caller waits for a free connection up to `acquireTimeout`, then gets `PoolExhausted`; a
/// connection that broke is closed and replaced by the next caller. After a failed connect,
/// callers within `failFastWindow` get that failure at once instead of each waiting for its
/// own connect timeout (a database that is down answers every request quickly).
public actor PostgresPool {
    public struct PoolExhausted: Error, Sendable, CustomStringConvertible {
        public let size: Int
        public var description: String { "all \(size) database connections are busy" }
    }

    let connectionString: String
    public nonisolated let size: Int
    let acquireTimeout: Duration
    let failFastWindow: Duration
    var idle: [PostgresConnection] = []
    /// Connections lent out or being opened.
    var busy = 0
    var waiters: [(id: Int, continuation: CheckedContinuation<Bool, any Error>)] = []
    var nextWaiterID = 0
    var lastConnectFailure: (at: ContinuousClock.Instant, error: any Error)?
    var isClosed = false

    public init(connectionString: String, size: Int, acquireTimeout: Duration = .seconds(5), failFastWindow: Duration = .seconds(1)) {
        self.connectionString = connectionString
        self.size = max(1, size)
        self.acquireTimeout = acquireTimeout
        self.failFastWindow = failFastWindow
    }

    /// Runs `body` with a connection of its own; a connection error closes that connection.
    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await body(connection)
            await release(connection, broken: false)
            return value
        } catch {
            var broken = (error as? PostgresError)?.kind == .connection
            if !broken { broken = await connection.isBroken }
            await release(connection, broken: broken)
            throw error
        }
    }

    func acquire() async throws -> PostgresConnection {
        while true {
            if isClosed { throw PostgresError(.connection, message: "the connection pool is closed") }
            if let connection = idle.popLast() {
                busy += 1
                return connection
            }
            if busy < size {
                if let failure = lastConnectFailure, ContinuousClock.now - failure.at < failFastWindow { throw failure.error }
                busy += 1
                do {
                    let connection = try await PostgresConnection.connect(connectionString)
                    lastConnectFailure = nil
                    return connection
                } catch {
                    busy -= 1
                    lastConnectFailure = (ContinuousClock.now, error)
                    wakeOne()
                    throw error
                }
            }
            // Full: wait until a connection comes back (true) or a slot frees (true), else time out.
            guard try await waitForTurn() else { throw PoolExhausted(size: size) }
        }
    }

    private func waitForTurn() async throws -> Bool {
        let id = nextWaiterID
        nextWaiterID += 1
        let timeout = acquireTimeout
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            await self?.timeOut(id)
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            waiters.append((id, continuation))
        }
    }

    private func timeOut(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: false)
    }

    private func wakeOne() {
        if !waiters.isEmpty { waiters.removeFirst().continuation.resume(returning: true) }
    }

    func release(_ connection: PostgresConnection, broken: Bool) async {
        busy -= 1
        if broken || isClosed {
            wakeOne()
            await connection.close()
            return
        }
        idle.append(connection)
        wakeOne()
    }

    public func close() async {
        isClosed = true
        for waiter in waiters { waiter.continuation.resume(returning: false) }
        waiters.removeAll()
        let connections = idle
        idle.removeAll()
        for connection in connections { await connection.close() }
    }
}
