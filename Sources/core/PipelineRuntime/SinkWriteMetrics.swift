import CoreMetrics
import EventModel
import Foundation
import Synchronization
import Telemetry

/// A sink's writes as metrics and as readiness: request durations, retries by cause, requests
/// in flight, bytes written, errors; and whether its writes have been failing for longer than
/// the run's `sinkFailureBudget` (then `GET /ready` says so, with the last failure).
public final class SinkWriteMetrics: Sendable {
    private let metrics: ComponentMetrics
    private let duration: CoreMetrics.Timer
    private let inFlight: CoreMetrics.Meter
    private let lastSuccess: CoreMetrics.Meter
    private let sentBytes: CoreMetrics.Counter
    private let retries: LabelledCounters
    private let errors: LabelledCounters
    private let failing = Mutex<(since: ContinuousClock.Instant, reason: String)?>(nil)
    private let failureBudget: Duration

    /// `failureBudget`: the run's (`HealthChecks.sinkFailureBudget`) unless given.
    public init(_ context: StageContext, failureBudget: Duration? = nil) {
        metrics = context.metrics
        duration = metrics.timer(.requestDuration)
        inFlight = metrics.gauge(.requestsInFlight)
        lastSuccess = metrics.gauge(.lastSuccess)
        sentBytes = metrics.counter(.sentBytes)
        retries = LabelledCounters(metrics, .retries)
        errors = LabelledCounters(metrics, .errors)
        self.failureBudget = failureBudget ?? context.health.sinkFailureBudget
        context.health.register(context.id) { [self] in readiness() }
    }

    private func readiness() -> Readiness {
        guard let (since, reason) = failing.withLock({ $0 }) else { return .ready }
        let elapsed = ContinuousClock.now - since
        guard elapsed >= failureBudget else { return .ready }
        return .notReady("writes failing for \(elapsed.components.seconds) s: \(reason)")
    }

    /// Times one request, counted in flight while it runs.
    public func request<T>(_ body: () async throws -> T) async rethrows -> T {
        inFlight.increment()
        let start = ContinuousClock.now
        defer {
            inFlight.decrement()
            duration.recordNanoseconds((ContinuousClock.now - start).nanoseconds)
        }
        return try await body()
    }

    /// A write went through: `bytes` of payload written.
    public func succeeded(bytes: Int) {
        sentBytes.increment(by: Int64(bytes))
        lastSuccess.set(Date().timeIntervalSince1970)
        failing.withLock { $0 = nil }
    }

    /// A write failed and will be retried (`cause`: timeout, connection, status_5xx, status_429,
    /// status_other); `reason` is one redacted line for `/ready`.
    public func retrying(cause: String, reason: String) {
        retries.increment(cause)
        noteFailure(reason)
    }

    /// A write failed for good (`errorType`: request_failed, write_failed).
    public func failed(errorType: String, reason: String) {
        errors.increment(errorType)
        noteFailure(reason)
    }

    private func noteFailure(_ reason: String) {
        failing.withLock { state in state = (state?.since ?? .now, reason) }
    }
}
