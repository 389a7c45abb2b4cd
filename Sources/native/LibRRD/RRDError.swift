/// A librrd failure: the operation, the file, and librrd's own message.
public struct RRDError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var message: String

    public init(path: String, operation: String, message: String) {
        self.path = path
        self.operation = operation
        self.message = message
    }

    public var description: String { "\(path): rrd \(operation) failed: \(message)" }
}
