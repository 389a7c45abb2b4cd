import Synchronization

/// Per-stage point counts, for the end-of-run summary and logs.
public final class StageCounters: Sendable {
    private let received = Atomic<Int>(0)
    private let sent = Atomic<Int>(0)
    private let dropped = Atomic<Int>(0)

    public init() {}

    public func add(received count: Int) { received.add(count, ordering: .relaxed) }
    public func add(sent count: Int) { sent.add(count, ordering: .relaxed) }
    public func add(dropped count: Int) { dropped.add(count, ordering: .relaxed) }

    public var snapshot: (received: Int, sent: Int, dropped: Int) {
        (received.load(ordering: .relaxed), sent.load(ordering: .relaxed), dropped.load(ordering: .relaxed))
    }
}
