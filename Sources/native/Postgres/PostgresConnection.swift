import CLibPQ
import Foundation
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection. Every libpq call runs on the connection's own thread (libpq blocks,
/// so it must never run on an event loop or the cooperative pool); calls are queued in order,
/// and a connection is used by one task at a time. `PQclear`/`PQfinish`/`PQfreemem` are
/// called on every path.
public final class PostgresConnection: Sendable {
    /// libpq's handle; only touched on `thread`.
    struct Handle: @unchecked Sendable { let connection: OpaquePointer }

    let handle: Handle
    let thread: NIOThreadPool
    let redaction: Redaction
    /// Set by the first `close`: `PQfinish` runs once, by `close` or else by `deinit`.
    private let closed = Mutex(false)

    private init(handle: Handle, thread: NIOThreadPool, redaction: Redaction) {
        self.handle = handle
        self.thread = thread
        self.redaction = redaction
    }

    /// Connects with a URL (`postgresql://…`) or keyword string (`host=… dbname=…`); what it
    /// leaves out comes from the standard `PG*` variables, `.pgpass` and service files.
    public static func connect(_ connectionString: String) async throws -> PostgresConnection {
        let redaction = try Redaction(connectionString: connectionString)
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        do {
            let handle = try await thread.runIfActive { () throws -> Handle in
                // A dead host should fail in seconds, unless the user chose otherwise.
                let timeout = ProcessInfo.processInfo.environment["PGCONNECT_TIMEOUT"] == nil ? "5" : nil
                let keywords = timeout == nil ? ["dbname"] : ["connect_timeout", "dbname"]
                let values = timeout == nil ? [connectionString] : ["5", connectionString]
                let connection = withCStrings(keywords) { keywords in
                    withCStrings(values) { values in PQconnectdbParams(keywords, values, 1) }
                }
                guard let connection else { throw PostgresError(.connection, message: "out of memory") }
                guard PQstatus(connection) == CONNECTION_OK else {
                    let message = redaction.apply(String(cString: PQerrorMessage(connection)))
                    PQfinish(connection)
                    throw PostgresError(.connection, message: oneLine(message))
                }
                // Server notices (e.g. "already exists, skipping") are not errors: libpq would print them.
                PQsetNoticeProcessor(connection, { _, _ in }, nil)
                return Handle(connection: connection)
            }
            return PostgresConnection(handle: handle, thread: thread, redaction: redaction)
        } catch {
            try? await thread.shutdownGracefully()
            throw error
        }
    }

    /// Runs one statement with its parameters (`PQexecParams`).
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await onThread { connection in
            let result = withOptionalCStrings(query.parameters) { values in
                PQexecParams(connection, query.sql, Int32(query.parameters.count), nil, values, nil, nil, 0)
            }
            return try self.rows(result, connection: connection)
        }
    }

    /// Runs a fixed script of several statements (migrations); a `StaticString` cannot carry
    /// a runtime value, so nothing can be spliced into it.
    public func execute(script: StaticString) async throws {
        let sql = script.description
        try await onThread { connection in
            _ = try self.rows(PQexec(connection, sql), connection: connection)
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    public func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await query("BEGIN")
        do {
            let value = try await body(self)
            try await query("COMMIT")
            return value
        } catch {
            _ = try? await query("ROLLBACK")
            throw error
        }
    }

    public var isBroken: Bool {
        get async { (try? await onThread { PQstatus($0) != CONNECTION_OK }) ?? true }
    }

    public func close() async {
        guard closed.withLock({ closed in defer { closed = true }; return !closed }) else { return }
        let handle = self.handle
        _ = try? await thread.runIfActive { PQfinish(handle.connection) }
        try? await thread.shutdownGracefully()
    }

    /// A connection dropped without `close` still ends its backend and its thread.
    deinit {
        guard !closed.withLock({ $0 }) else { return }
        let handle = self.handle
        let thread = self.thread
        thread.submit { _ in PQfinish(handle.connection) }
        thread.shutdownGracefully { _ in }
    }

    func onThread<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        let handle = self.handle
        return try await thread.runIfActive { try body(handle.connection) }
    }

    /// Copies a result out and frees it; failures carry the SQLSTATE and primary message.
    func rows(_ result: OpaquePointer?, connection: OpaquePointer) throws -> PostgresRows {
        guard let result else { throw connectionError(connection) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            let columnCount = Int(PQnfields(result))
            let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
            var values: [[String?]] = []
            values.reserveCapacity(Int(PQntuples(result)))
            for row in 0..<PQntuples(result) {
                values.append((0..<Int32(columnCount)).map { column in
                    PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
                })
            }
            return PostgresRows(columns: columns, values: values, affectedRows: Int(String(cString: PQcmdTuples(result))) ?? 0)
        default:
            if PQstatus(connection) != CONNECTION_OK { throw connectionError(connection) }
            let sqlState = smokeflow_pq_sqlstate(result).map { String(cString: $0) }
            let primary = smokeflow_pq_primary_message(result).map { String(cString: $0) }
                ?? String(cString: PQresultErrorMessage(result))
            let detail = smokeflow_pq_detail(result).map { " (\(String(cString: $0)))" } ?? ""
            throw PostgresError(.server, sqlState: sqlState, message: redaction.apply(oneLine(primary + detail)))
        }
    }

    func connectionError(_ connection: OpaquePointer) -> PostgresError {
        let message = oneLine(String(cString: PQerrorMessage(connection)))
        return PostgresError(.connection, message: redaction.apply(message.isEmpty ? "connection lost" : message))
    }
}

/// libpq's messages span lines ("…failed: Connection refused\n\tIs the server running…").
func oneLine(_ message: String) -> String {
    message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "; ")
}

func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withOptionalCStrings(strings) { body($0!) }
}

/// NUL-terminated copies of `strings` (nil stays NULL) plus a terminating NULL, for libpq.
func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
    defer { for copy in copies { free(copy) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
