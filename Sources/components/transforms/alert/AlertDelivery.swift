import Alerting
import Logging

/// One notifier's worker: takes the outbox's saved entries for it in order and delivers each,
/// retrying with exponential backoff; an entry leaves the outbox when delivered or given up.
/// Runs in a task of its own, so a slow or failing notifier never holds up the data path (its
/// queue fills and further notifications are counted as overflow).
struct AlertDelivery: Sendable {
    let book: AlertBook
    let notifier: any AlertNotifier
    let retry: RetryPolicy
    let counters: AlertCounters
    let logger: Logger

    func run() async {
        var wakes = book.wakes(for: notifier.name).makeAsyncIterator()
        while !Task.isCancelled {
            if let entry = book.next(for: notifier.name) {
                await deliver(entry)
            } else if await wakes.next() == nil {
                return
            }
        }
    }

    /// Attempts until delivered, refused for good or out of attempts; a cancelled task leaves
    /// the entry in the outbox for the next start.
    func deliver(_ entry: AlertOutbox.Entry) async {
        let notification = entry.notification
        let what = "alert '\(notification.rule)' \(notification.state.rawValue) for '\(notification.key)' at \(notification.time)"
        for attempt in 1...retry.attempts {
            do throws(NotificationFailure) {
                try await notifier.deliver(notification)
                counters.sent.add(1, ordering: .relaxed)
                book.finish(entry, for: notifier.name)
                if attempt > 1 { logger.info("notifier '\(notifier.name)': \(what) delivered at attempt \(attempt)") }
                return
            } catch {
                if Task.isCancelled { return }
                guard error.retryable, attempt < retry.attempts else {
                    counters.failed.add(1, ordering: .relaxed)
                    book.finish(entry, for: notifier.name)
                    logger.error("notifier '\(notifier.name)': \(what) not delivered after \(attempt) attempts (\(error)); given up")
                    return
                }
                let wait = retry.backoff(after: attempt)
                if attempt == 1 { logger.warning("notifier '\(notifier.name)': \(what) not delivered (\(error)); retrying with backoff from \(wait)") }
                counters.retries.add(1, ordering: .relaxed)
                do { try await Task.sleep(for: wait) } catch { return }
            }
        }
    }
}
