import Synchronization
public import Telemetry
import CoreMetrics

/// Per-stage point counts, for the end-of-run summary and logs, and the same counts as the
/// stage's `smokeflow_component_*` series.
public final class StageCounters: Sendable {
    private let received = Atomic<Int>(0)
    private let sent = Atomic<Int>(0)
    private let dropped = Atomic<Int>(0)
    public let metrics: ComponentMetrics
    /// None for a source: it receives nothing.
    private let receivedSeries: CoreMetrics.Counter?
    private let sentSeries: CoreMetrics.Counter
    private let discardedSeries: LabelledCounters

    public init(metrics: ComponentMetrics = .discarding(id: "")) {
        self.metrics = metrics
        receivedSeries = metrics.kind == "source" ? nil : metrics.counter(.receivedEvents)
        sentSeries = metrics.counter(.sentEvents)
        discardedSeries = LabelledCounters(metrics, .discardedEvents)
    }

    public func add(received count: Int) {
        received.add(count, ordering: .relaxed)
        receivedSeries?.increment(by: Int64(count))
    }

    public func add(sent count: Int) {
        sent.add(count, ordering: .relaxed)
        sentSeries.increment(by: Int64(count))
    }

    /// `reason` is one of `MetricFamily.discardedEvents`' reasons.
    public func add(dropped count: Int, reason: DiscardReason) {
        guard count > 0 else { return }
        dropped.add(count, ordering: .relaxed)
        discardedSeries.increment(reason.rawValue, by: count)
    }

    public var snapshot: (received: Int, sent: Int, dropped: Int) {
        (received.load(ordering: .relaxed), sent.load(ordering: .relaxed), dropped.load(ordering: .relaxed))
    }
}

/// Why points were dropped: the `reason` label of `smokeflow_component_discarded_events_total`.
public enum DiscardReason: String, Sendable, CaseIterable {
    /// A full buffer with `when_full: drop_newest`.
    case bufferFull = "buffer_full"
    /// The destination refused them for good (a 400, a field-type conflict, an unwritable record).
    case rejected
    /// Older than a window still open (downsample), or than the RRD's last update.
    case late
    /// Too far in the future.
    case future
    /// A postgres_join dropped them (`unknown: drop`, inactive targets).
    case filtered
    /// Rounds a probe could not complete.
    case lost
}
