import Alerting
public import EventModel
public import PipelineRuntime

/// The `alert` transform (`AlertConfiguration`): points pass through unchanged but for the
/// `alerts` tag (`alerts_tag`), which is taken off; rounds of
/// targets with rules are evaluated on the way (`AlertBook`), and the notifiers deliver what
/// that finds from tasks of their own.
public final class AlertTransform: Transform {
    let book: AlertBook
    let notifiers: [any AlertNotifier]
    let retry: RetryPolicy
    let drainTimeout: Duration
    /// Edges, queued, overflow, sent, failed: for /metrics.
    public let counters: AlertCounters

    init(book: AlertBook, notifiers: [any AlertNotifier], retry: RetryPolicy, drainTimeout: Duration, counters: AlertCounters) {
        self.book = book
        self.notifiers = notifiers
        self.retry = retry
        self.drainTimeout = drainTimeout
        self.counters = counters
    }

    public func run(context: StageContext, input: StageInput, output: StageOutput) async throws {
        try await book.load()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.book.saveLoop() }
            for notifier in notifiers {
                let delivery = AlertDelivery(book: book, notifier: notifier, retry: retry, counters: counters, logger: context.logger)
                group.addTask { await delivery.run() }
            }
            defer { book.close() }
            do {
                for await received in input {
                    var batch = received
                    context.counters.add(received: batch.points.count)
                    book.evaluate(batch)
                    Self.removeTag(book.alertsTag, from: &batch)
                    try await output.send(batch)
                }
            } catch {
                group.cancelAll()
                await book.save()
                throw error
            }
            await book.save()
            await drain()
            group.cancelAll()
        }
        await book.save()
    }

    /// The `alerts` tag is routing, not data: kept, it would reach the sinks and start a new
    /// InfluxDB series each time a target's rules change. Points without it are not touched.
    static func removeTag(_ key: String, from batch: inout Batch) {
        for index in batch.points.indices where batch.points[index].tags.contains(where: { $0.key == key }) {
            batch.points[index].removeTag(key)
        }
    }

    /// Evaluates a batch as `run` does, without delivering (benchmarks, tools).
    public func evaluate(_ batch: Batch) {
        book.evaluate(batch)
    }

    /// Once the input has ended: delivery goes on until the outbox is empty or `drainTimeout`
    /// has passed; what is left stays in the saved outbox for the next start.
    func drain() async {
        let deadline = ContinuousClock.now + drainTimeout
        while book.undelivered > 0, ContinuousClock.now < deadline {
            do { try await Task.sleep(for: .milliseconds(20)) } catch { return }
        }
    }

    /// The pipeline has stopped: the last state (deliveries finished since) is saved.
    public func finish(context: StageContext) async {
        await book.save()
    }
}
