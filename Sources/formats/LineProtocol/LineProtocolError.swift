/// Why a point cannot be written as line protocol.
///
/// Descriptions name the part of the point, never the value: a value may be a secret.
public struct LineProtocolEncodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        case newline
        case ambiguousBackslash
        case empty
        case noFields
    }

    public let part: String
    public let reason: Reason

    @inlinable
    public init(part: String, reason: Reason) {
        self.part = part
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .newline: return "\(part) contains a newline, which line protocol cannot carry"
        case .ambiguousBackslash:
            return "\(part) has a backslash before a separator or at its end, which line protocol cannot carry"
        case .empty: return "\(part) is empty"
        case .noFields: return "point has no finite field values"
        }
    }
}

/// Why bytes are not valid line protocol; `line` and `column` are 1-based, the column in bytes.
public struct LineProtocolParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(line):\(column): \(message)" }
}
