import Foundation
public import Logging
public import ServiceLifecycle
public import Telemetry
import CoreMetrics

/// Runs jobs on their schedules next to the streaming pipeline: first a catch-up of every
/// window missed while the service was down, then, at each job's next cron time, the windows
/// due since. A failed run is logged and retried at the next time (progress did not move).
public struct JobSchedulerService: Service, CustomStringConvertible {
    public let runners: [JobRunner]
    public let logger: Logger
    /// One catch-up pass, then return (`run --once`).
    public let once: Bool
    /// `smokeflow_job_*`, per job.
    let metrics: [String: JobMetrics]

    public init(runners: [JobRunner], logger: Logger, once: Bool, metrics: MetricsRegistry = .discarding) {
        self.runners = runners
        self.logger = logger
        self.once = once
        self.metrics = Dictionary(runners.map { ($0.job.name, JobMetrics(registry: metrics, job: $0.job.name)) }, uniquingKeysWith: { a, _ in a })
    }

    /// Never the runners: their options may hold credentials.
    public var description: String { "job scheduler (\(runners.map(\.job.name).joined(separator: ", ")))" }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            var failed: [String] = []
            for runner in runners where !(await attempt(runner)) { failed.append(runner.job.name) }
            if once {
                // `run --once` is a batch run: a job that failed makes it fail.
                if !failed.isEmpty { throw JobsFailed(jobs: failed) }
                return
            }
            while !Task.isCancelled {
                let now = Date()
                let upcoming = runners.compactMap { runner in runner.schedule.next(after: now).map { (runner, $0) } }
                guard let soonest = upcoming.map(\.1).min() else { return }
                try await Task.sleep(for: .seconds(max(0, soonest.timeIntervalSinceNow)))
                for (runner, time) in upcoming where time <= soonest { _ = await attempt(runner) }
            }
        }
    }

    /// Runs the windows due now; false when one failed (logged; retried next time).
    func attempt(_ runner: JobRunner) async -> Bool {
        let metrics = metrics[runner.job.name]
        do {
            let count = try await runner.catchUp(now: Date()) { _, _ in metrics?.windowDone() }
            if count > 0 { runner.logger.info("job '\(runner.job.name)': \(count) window(s) done") }
            return true
        } catch is CancellationError {
            return true
        } catch {
            metrics?.failed()
            runner.logger.error("\(error)")
            return false
        }
    }

    public struct JobsFailed: Error, CustomStringConvertible {
        public let jobs: [String]
        public var description: String { "job(s) failed: \(jobs.joined(separator: ", ")) (see the log)" }
    }
}

/// One job's series: windows done, failures, when a window last succeeded.
struct JobMetrics: Sendable {
    let windows: CoreMetrics.Counter
    let failures: CoreMetrics.Counter
    let lastSuccess: CoreMetrics.Meter

    init(registry: MetricsRegistry, job: String) {
        windows = registry.counter(.jobWindows, [("job", job)])
        failures = registry.counter(.jobFailures, [("job", job)])
        lastSuccess = registry.gauge(.jobLastSuccess, [("job", job)])
    }

    func windowDone() {
        windows.increment()
        lastSuccess.set(Date().timeIntervalSince1970)
    }

    func failed() { failures.increment() }
}
