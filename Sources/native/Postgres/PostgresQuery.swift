/// A statement whose values travel as parameters (`$1`, `$2`, …), never as SQL text: only
/// string literals written in the source become SQL, and every interpolated value becomes a
/// parameter, so a query is injection-safe by construction (as in postgres-nio).
///
///     let query: PostgresQuery = "SELECT id FROM targets WHERE name = \(name)"
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public var sql: String
    /// Text-format values, nil for NULL.
    public var parameters: [String?]

    public init(stringLiteral value: String) {
        sql = value
        parameters = []
    }

    public init(stringInterpolation: StringInterpolation) {
        sql = stringInterpolation.sql
        parameters = stringInterpolation.parameters
    }

    /// The SQL with its placeholders; values are never shown (they may be secrets).
    public var description: String { sql }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var parameters: [String?] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        public mutating func appendLiteral(_ literal: String) { sql += literal }

        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            parameters.append(value.postgresText)
            sql += "$\(parameters.count)"
        }

        public mutating func appendInterpolation(_ value: (some PostgresEncodable)?) {
            parameters.append(value?.postgresText)
            sql += "$\(parameters.count)"
        }

        /// SQL written in the source (a column list used by several queries), spliced as text.
        public mutating func appendInterpolation(_ fragment: SQLFragment) {
            sql += fragment.sql
        }
    }
}

/// A piece of SQL shared by several queries. Only a `StaticString` makes one, so no runtime
/// value can become SQL text this way either.
public struct SQLFragment: Sendable {
    let sql: String
    public init(_ sql: StaticString) { self.sql = sql.description }
}

/// A value sent as a text-format parameter.
public protocol PostgresEncodable: Sendable {
    var postgresText: String { get }
}

extension String: PostgresEncodable {
    public var postgresText: String { self }
}

extension Substring: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Int: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Int64: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Double: PostgresEncodable {
    /// Shortest round-trip form, which PostgreSQL's float8 input reads back exactly.
    public var postgresText: String { description }
}

extension Bool: PostgresEncodable {
    public var postgresText: String { self ? "t" : "f" }
}

/// Binary data as a `bytea` hex literal parameter.
public struct PostgresBytes: PostgresEncodable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var postgresText: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        text.reserveCapacity(2 + bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
