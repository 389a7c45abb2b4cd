/// A PostgreSQL failure. The description carries the server's message and SQLSTATE and what
/// smokeflow was doing, never the connection string or a password (see `Redaction`).
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// Could not connect, or the connection broke: worth retrying later.
        case connection
        /// The server refused a statement (constraint, syntax, permission, …).
        case server
        /// A result did not have the shape the caller decodes.
        case decoding
    }

    public var kind: Kind
    /// The five-character SQLSTATE, e.g. `23505` for a unique violation.
    public var sqlState: String?
    public var message: String

    public init(_ kind: Kind, sqlState: String? = nil, message: String) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
    }

    public var description: String {
        if let sqlState { return "postgres: \(message) (SQLSTATE \(sqlState))" }
        return "postgres: \(message)"
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isForeignKeyViolation: Bool { sqlState == "23503" }
}
