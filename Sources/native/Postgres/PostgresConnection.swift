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
    /// How long a call waits for the server's answer before the connection counts as dead
    /// (the session's `statement_timeout` plus a grace for the server's own cancel to arrive);
    /// nil when `statement_timeout` is 0.
    public let queryDeadline: Duration?
    /// Set by the first `close`: `PQfinish` runs once, by `close` or else by `deinit`.
    private let closed = Mutex(false)
    /// Set when a call gave up waiting for the server: the protocol state is unknown, so the
    /// connection is never used again.
    private let abandoned = Mutex(false)

    private init(handle: Handle, thread: NIOThreadPool, redaction: Redaction, queryDeadline: Duration?) {
        self.handle = handle
        self.thread = thread
        self.redaction = redaction
        self.queryDeadline = queryDeadline
    }

    /// What libpq gets before the connection string, so the string (and the `PG*` variables
    /// that have one) override each: a dead host fails the connect in 5 s; TCP keepalives and
    /// `tcp_user_timeout` notice a peer that vanished (a partition, a host that died) in about
    /// a minute; `statement_timeout` bounds every statement on the server and, through
    /// `queryDeadline`, every wait for an answer on the client (a half-open connection or a
    /// proxy that stopped forwarding, where TCP itself sees nothing wrong).
    static func defaultKeywords(environment: [String: String]) -> [(String, String)] {
        var keywords: [(String, String)] = []
        if environment["PGCONNECT_TIMEOUT"] == nil { keywords.append(("connect_timeout", "5")) }
        keywords += [
            ("keepalives", "1"), ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3"),
            ("tcp_user_timeout", "60000"),
        ]
        if environment["PGOPTIONS"] == nil { keywords.append(("options", "-c statement_timeout=\(defaultStatementTimeout)")) }
        return keywords
    }

    /// The default `statement_timeout`.
    public static let defaultStatementTimeout = "30s"
    /// Added to `statement_timeout` for the client's wait: the server's cancel needs to reach us.
    static let deadlineGrace = Duration.seconds(2)

    /// Connects with a URL (`postgresql://…`) or keyword string (`host=… dbname=…`); what it
    /// leaves out comes from the standard `PG*` variables, `.pgpass` and service files.
    public static func connect(_ connectionString: String) async throws -> PostgresConnection {
        let redaction = try Redaction(connectionString: connectionString)
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        do {
            let (handle, deadline) = try await thread.runIfActive { () throws -> (Handle, Duration?) in
                let defaults = Self.defaultKeywords(environment: ProcessInfo.processInfo.environment)
                let keywords = defaults.map(\.0) + ["dbname"]
                let values = defaults.map(\.1) + [connectionString]
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
                // Non-blocking, so every wait is a poll(2) with a deadline (and PQfinish never blocks).
                guard PQsetnonblocking(connection, 1) == 0 else {
                    let error = PostgresError(.connection, message: redaction.apply(oneLine(String(cString: PQerrorMessage(connection)))))
                    PQfinish(connection)
                    throw error
                }
                // The session's statement_timeout, wherever it was set (our default, the
                // connection string's options, PGOPTIONS, the role or the server).
                do {
                    let deadline = Self.connectDeadline(connection)
                    let shown = try Self.rows(
                        Self.exchange(connection, deadline: deadline, deadlineText: "while connecting") { PQsendQuery($0, "SHOW statement_timeout") },
                        connection: connection, redaction: redaction
                    )
                    let timeout = shown.values.first?.first.flatMap { $0 }.flatMap(Self.parseSetting(milliseconds:))
                    return (Handle(connection: connection), timeout.flatMap { $0 > .zero ? $0 + Self.deadlineGrace : nil })
                } catch let error as PostgresError {
                    PQfinish(connection)
                    throw PostgresError(error.kind, sqlState: error.sqlState, message: redaction.apply(error.message))
                }
            }
            return PostgresConnection(handle: handle, thread: thread, redaction: redaction, queryDeadline: deadline)
        } catch {
            try? await thread.shutdownGracefully()
            throw error
        }
    }

    /// The wait for the first answer after connecting: libpq's connect_timeout, else 30 s.
    static func connectDeadline(_ connection: OpaquePointer) -> Duration {
        guard let options = PQconninfo(connection) else { return .seconds(30) }
        defer { PQconninfoFree(options) }
        var seconds = 0
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "connect_timeout", let value = option.pointee.val { seconds = Int(String(cString: value)) ?? 0 }
            option = option.advanced(by: 1)
        }
        return .seconds(seconds > 0 ? max(seconds, 2) : 30)
    }

    /// A time setting as `SHOW` prints it (`0`, `500ms`, `30s`, `2min`, `1h`, `1d`), or plain
    /// milliseconds.
    static func parseSetting(milliseconds text: String) -> Duration? {
        let digits = text.prefix { $0.isNumber }
        guard let value = Int64(digits) else { return nil }
        switch text.dropFirst(digits.count).trimmingCharacters(in: .whitespaces) {
        case "", "ms": return .milliseconds(value)
        case "s": return .seconds(value)
        case "min": return .seconds(value * 60)
        case "h": return .seconds(value * 3600)
        case "d": return .seconds(value * 86400)
        default: return nil
        }
    }

    /// Runs one statement with its parameters (`PQsendQueryParams`).
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await onThread { connection in
            let result = try self.exchange(connection) { connection in
                withOptionalCStrings(query.parameters) { values in
                    PQsendQueryParams(connection, query.sql, Int32(query.parameters.count), nil, values, nil, nil, 0)
                }
            }
            return try self.rows(result, connection: connection)
        }
    }

    /// Runs a fixed script of several statements (migrations); a `StaticString` cannot carry
    /// a runtime value, so nothing can be spliced into it.
    public func execute(script: StaticString) async throws {
        let sql = script.description
        try await onThread { connection in
            _ = try self.rows(self.exchange(connection) { PQsendQuery($0, sql) }, connection: connection)
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
        get async {
            if abandoned.withLock({ $0 }) { return true }
            return (try? await onThread { PQstatus($0) != CONNECTION_OK }) ?? true
        }
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

    /// Sends a statement (`send`, a `PQsend…` call) and waits for its results, each wait a
    /// poll(2) bounded by `queryDeadline`; returns the first failed result, else the last one
    /// (as `PQexec` does), nil when the connection broke. A deadline that passes abandons the
    /// connection: the server may still answer, and the next statement would read that answer.
    func exchange(_ connection: OpaquePointer, send: (OpaquePointer) -> Int32) throws -> OpaquePointer? {
        guard !abandoned.withLock({ $0 }) else {
            throw PostgresError(.connection, message: "connection abandoned after the server did not answer in time")
        }
        do {
            return try Self.exchange(connection, deadline: queryDeadline, deadlineText: "within the query deadline", send: send)
        } catch let error as PostgresError where error.kind == .connection {
            abandoned.withLock { $0 = true }
            throw PostgresError(.connection, sqlState: error.sqlState, message: redaction.apply(error.message))
        }
    }

    static func exchange(
        _ connection: OpaquePointer, deadline: Duration?, deadlineText: String, send: (OpaquePointer) -> Int32
    ) throws -> OpaquePointer? {
        let end = deadline.map { ContinuousClock.now + $0 }
        func lost() -> PostgresError {
            let message = oneLine(String(cString: PQerrorMessage(connection)))
            return PostgresError(.connection, message: message.isEmpty ? "connection lost" : message)
        }
        func wait(_ events: Int32) throws {
            let socket = PQsocket(connection)
            guard socket >= 0 else { throw lost() }
            while true {
                var milliseconds: Int32 = -1
                if let end {
                    let left = end - ContinuousClock.now
                    guard left > .zero else {
                        throw PostgresError(.connection, message: "no answer from the server \(deadlineText) (\(deadline.map { "\($0.components.seconds) s" } ?? "")); connection abandoned")
                    }
                    milliseconds = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
                }
                var descriptor = pollfd(fd: socket, events: Int16(events), revents: 0)
                let ready = poll(&descriptor, 1, milliseconds)
                if ready > 0 { return }
                if ready < 0 && errno != EINTR { throw PostgresError(.connection, message: "poll: \(String(cString: strerror(errno)))") }
            }
        }
        guard send(connection) == 1 else { throw lost() }
        // Everything out: PQflush returns 1 while data is left, and the server may need us to read first.
        while true {
            let flushed = PQflush(connection)
            if flushed == 0 { break }
            guard flushed > 0 else { throw lost() }
            try wait(Int32(POLLIN | POLLOUT))
            guard PQconsumeInput(connection) == 1 else { throw lost() }
        }
        var kept: OpaquePointer?
        func failed(_ result: OpaquePointer) -> Bool {
            let status = PQresultStatus(result)
            return status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK && status != PGRES_EMPTY_QUERY
        }
        do {
            while true {
                while PQisBusy(connection) == 1 {
                    try wait(Int32(POLLIN))
                    guard PQconsumeInput(connection) == 1 else { throw lost() }
                }
                guard let result = PQgetResult(connection) else { break }
                if let current = kept, failed(current) {
                    PQclear(result)
                } else {
                    if let current = kept { PQclear(current) }
                    kept = result
                }
            }
        } catch {
            if let kept { PQclear(kept) }
            throw error
        }
        return kept
    }

    /// Copies a result out and frees it; failures carry the SQLSTATE and primary message.
    func rows(_ result: OpaquePointer?, connection: OpaquePointer) throws -> PostgresRows {
        try Self.rows(result, connection: connection, redaction: redaction)
    }

    static func rows(_ result: OpaquePointer?, connection: OpaquePointer, redaction: Redaction) throws -> PostgresRows {
        func connectionError(_ connection: OpaquePointer) -> PostgresError {
            let message = oneLine(String(cString: PQerrorMessage(connection)))
            return PostgresError(.connection, message: redaction.apply(message.isEmpty ? "connection lost" : message))
        }
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
