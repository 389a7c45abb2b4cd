import CLibPQ
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A `NOTIFY` received on a channel this connection listens to.
public struct PostgresNotification: Sendable, Equatable {
    public let channel: String
    public let payload: String
}

extension PostgresConnection {
    /// `LISTEN channel`; the name is a fixed identifier, never a runtime value.
    public func listen(_ channel: StaticString) async throws {
        try await query(PostgresQuery(stringLiteral: "LISTEN \(channel)"))
    }

    /// Waits up to `timeout` for notifications on the connection's thread (poll on libpq's
    /// socket) and returns what arrived, possibly nothing. A broken connection throws.
    public func notifications(waitingUpTo timeout: Duration) async throws -> [PostgresNotification] {
        let milliseconds = Int32(clamping: TimeAmount(timeout).nanoseconds / 1_000_000)
        return try await onThread { connection in
            var received = try self.drainNotifications(connection)
            if received.isEmpty {
                var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
                guard descriptor.fd >= 0 else { throw self.connectionError(connection) }
                _ = poll(&descriptor, 1, milliseconds)
                received = try self.drainNotifications(connection)
            }
            return received
        }
    }

    func drainNotifications(_ connection: OpaquePointer) throws -> [PostgresNotification] {
        guard PQconsumeInput(connection) == 1 else { throw connectionError(connection) }
        var received: [PostgresNotification] = []
        while let notification = PQnotifies(connection) {
            received.append(PostgresNotification(
                channel: String(cString: notification.pointee.relname),
                payload: notification.pointee.extra.map { String(cString: $0) } ?? ""
            ))
            PQfreemem(notification)
        }
        return received
    }
}
