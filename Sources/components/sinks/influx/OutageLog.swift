import Logging
import Synchronization

/// One line when writes start failing (and when the reason changes), one when they work again,
/// not one per retry: a warning when InfluxDB is unreachable or busy, an error when it answers
/// something only a change of configuration or proxy fixes. The first refused write is logged
/// with the server's reason (it names the bad line), later ones only at debug level and in the
/// dropped count.
final class OutageLog: Sendable {
    /// The failure last logged; nil while writes work.
    private let failing = Mutex<WriteFailure?>(nil)
    private let rejectedBefore = Mutex(false)

    func rejected(logger: Logger, status: UInt, message: String, dropped: Int) {
        let first = rejectedBefore.withLock { seen in
            defer { seen = true }
            return !seen
        }
        if first {
            logger.warning("InfluxDB refused \(dropped) point(s) (HTTP \(status)): \(message.prefix(400)); later refusals are only counted")
        } else {
            logger.debug("InfluxDB refused \(dropped) point(s) (HTTP \(status))")
        }
    }

    func failed(logger: Logger, endpoint: String, _ failure: WriteFailure) {
        let new = failing.withLock { last in
            defer { last = failure }
            return last?.kind != failure.kind || last?.status != failure.status
        }
        guard new else {
            logger.debug("InfluxDB at \(endpoint) still failing: \(failure.summary)")
            return
        }
        switch failure.kind {
        case .unreachable, .noAnswer, .overloaded:
            logger.warning("InfluxDB at \(endpoint) is failing: \(failure.summary); retrying with backoff")
        case .refused:
            logger.error("InfluxDB at \(endpoint) wrote nothing: \(failure.summary); retrying with backoff, nothing is dropped")
        }
    }

    func recovered(logger: Logger, endpoint: String) {
        let was = failing.withLock { last in
            defer { last = nil }
            return last != nil
        }
        if was { logger.info("InfluxDB at \(endpoint) accepts writes again") }
    }
}
