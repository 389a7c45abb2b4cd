public import Logging
public import EventModel

extension Batch {
    /// Some points were refused for good: the batch's status becomes at least `rejected`.
    public func markRejected() {
        for acknowledgement in acknowledgements {
            acknowledgement.retain()
            acknowledgement.release(.rejected)
        }
    }
}

/// Logs the first point a sink refuses, then only counts: one bad series must not flood the log.
public struct RejectionLog: Sendable {
    let logger: Logger
    public private(set) var count = 0

    public init(logger: Logger) { self.logger = logger }

    public mutating func note(_ error: any Error) {
        count += 1
        if count == 1 {
            logger.warning("point dropped: \(error); further drops are only counted")
        }
    }
}
