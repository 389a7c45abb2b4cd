public import Logging
public import Synchronization

/// A logger whose lines a test can read: handed to one component, never bootstrapped
/// process-wide, so parallel tests do not see each other's lines.
public final class LogCapture: Sendable {
    public let lines = Mutex<[(level: Logger.Level, message: String)]>([])

    public init() {}

    public var logger: Logger {
        Logger(label: "capture") { _ in Handler(capture: self) }
    }

    /// The messages logged at `level`.
    public func messages(_ level: Logger.Level) -> [String] {
        lines.withLock { $0.filter { $0.level == level }.map(\.message) }
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            capture.lines.withLock { $0.append((event.level, "\(event.message)")) }
        }
    }
}
