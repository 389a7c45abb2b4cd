/// Why a list of operations wrote nothing: one problem per item that failed (several for an
/// item with several bad fields), each naming the field or the record.
public struct StoreRejection: Error, Sendable, Equatable {
    public struct Problem: Sendable, Equatable {
        /// The operation's position in the list (0 for a single write).
        public var index: Int
        public var kind: Kind
        /// The request field at fault (`host`, `category`), when there is one.
        public var field: String?
        public var message: String

        public init(index: Int, kind: Kind, field: String? = nil, message: String) {
            self.index = index
            self.kind = kind
            self.field = field
            self.message = message
        }
    }

    public enum Kind: Sendable, Equatable {
        /// A value the rules refuse (422).
        case invalid
        /// No record with that id (404).
        case notFound
        /// Clashes with what the store holds: a name taken, a probe in use (409).
        case conflict
    }

    public var problems: [Problem]

    public init(_ problems: [Problem]) { self.problems = problems }

    public init(index: Int = 0, _ kind: Kind, field: String? = nil, _ message: String) {
        problems = [Problem(index: index, kind: kind, field: field, message: message)]
    }
}

/// The store cannot answer now: the database is unreachable or every connection is busy (503).
public struct StoreUnavailable: Error, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
