public import Synchronization

/// What the alert transform did (on /metrics as `smokeflow_alert_*`, `AlertConfiguration.expose`): edges found,
/// notifications queued, dropped on a full queue (`overflow`), delivered (`sent`), given up
/// after their retries (`failed`), retried attempts, and duplicates not queued again.
public final class AlertCounters: Sendable {
    public let raised = Atomic<Int>(0)
    public let cleared = Atomic<Int>(0)
    public let queued = Atomic<Int>(0)
    public let overflow = Atomic<Int>(0)
    public let duplicates = Atomic<Int>(0)
    public let sent = Atomic<Int>(0)
    public let failed = Atomic<Int>(0)
    public let retries = Atomic<Int>(0)

    public init() {}

    public struct Snapshot: Sendable, Equatable {
        public var raised, cleared, queued, overflow, duplicates, sent, failed, retries: Int
    }

    public var snapshot: Snapshot {
        Snapshot(
            raised: raised.load(ordering: .relaxed), cleared: cleared.load(ordering: .relaxed), queued: queued.load(ordering: .relaxed),
            overflow: overflow.load(ordering: .relaxed), duplicates: duplicates.load(ordering: .relaxed), sent: sent.load(ordering: .relaxed),
            failed: failed.load(ordering: .relaxed), retries: retries.load(ordering: .relaxed))
    }
}
