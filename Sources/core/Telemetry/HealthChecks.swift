import Synchronization

/// What `GET /ready` reports: each part of a run (a sink, a buffer, the configuration store)
/// says whether it can do its work; the run is ready when all can.
public enum Readiness: Sendable, Equatable {
    case ready
    case notReady(String)
}

/// The readiness checks of one run. Checks must be quick and must not block: they run on the
/// request's task.
public final class HealthChecks: Sendable {
    private let checks = Mutex<[(name: String, check: @Sendable () -> Readiness)]>([])
    /// How long a sink's writes may fail before the run is not ready (`metrics.sink_failure_budget`).
    public let sinkFailureBudget: Duration

    /// 60 s by default: long enough to ride out a server restart, short enough that a load
    /// balancer or an operator hears of an outage.
    public init(sinkFailureBudget: Duration = .seconds(60)) {
        self.sinkFailureBudget = sinkFailureBudget
    }

    /// `name` names the part in the answer: a component id, `configuration_store`.
    public func register(_ name: String, _ check: @escaping @Sendable () -> Readiness) {
        checks.withLock { $0.append((name, check)) }
    }

    /// Every part that is not ready, with its reason, in registration order.
    public func problems() -> [(name: String, reason: String)] {
        checks.withLock { $0 }.compactMap { name, check in
            if case .notReady(let reason) = check() { return (name, reason) }
            return nil
        }
    }
}
