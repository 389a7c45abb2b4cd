import Synchronization

/// What became of a batch once every sink it reached is done with it.
public enum DeliveryStatus: Int, Sendable, Comparable {
    /// Every sink durably accepted it (InfluxDB answered 2xx, a file was written and flushed).
    case delivered = 0
    /// A sink refused some points for good (bad data, e.g. an InfluxDB partial write);
    /// retrying would not help, so positions may move past it.
    case rejected = 1
    /// A sink failed for good or the batch was dropped on shutdown: positions must not move past it.
    case failed = 2

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// End-to-end acknowledgement of one source batch.
///
/// The source creates it with the batch; every fan-out retains it once per extra copy and
/// every terminal (a sink that flushed it, a transform that dropped it) releases it once.
/// When the count reaches zero the source's handler runs once with the worst status seen.
public final class Acknowledgement: Sendable {
    private struct State {
        var pending: Int
        var worst: DeliveryStatus
        var handler: (@Sendable (DeliveryStatus) -> Void)?
    }

    private let state: Mutex<State>

    public init(_ handler: @escaping @Sendable (DeliveryStatus) -> Void) {
        state = Mutex(State(pending: 1, worst: .delivered, handler: handler))
    }

    /// One more holder (a fan-out copy, a split into two requests).
    public func retain(_ count: Int = 1) {
        guard count > 0 else { return }
        state.withLock { $0.pending += count }
    }

    /// A holder is done with the batch.
    public func release(_ status: DeliveryStatus) {
        let fire: ((@Sendable (DeliveryStatus) -> Void), DeliveryStatus)? = state.withLock { state in
            state.worst = max(state.worst, status)
            state.pending -= 1
            precondition(state.pending >= 0, "acknowledgement released more often than retained")
            guard state.pending == 0, let handler = state.handler else { return nil }
            state.handler = nil
            return (handler, state.worst)
        }
        if let (handler, status) = fire { handler(status) }
    }
}
