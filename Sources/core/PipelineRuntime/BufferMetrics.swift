import CoreMetrics
public import Telemetry

/// A sink buffer's depth as gauges, read when scraped (`smokeflow_buffer_*`, labelled with
/// `buffer_type`), and as readiness: a buffer that is full and dropping (or full on disk) is
/// not ready. A full memory buffer that blocks is backpressure, not a fault: it stays ready.
public enum BufferMetrics {
    /// `read` returns the buffer's counters and how full it is (0 to 1); it runs on every
    /// scrape and readiness check, so it must only take a lock.
    public static func register(
        _ metrics: ComponentMetrics, health: HealthChecks, type: String, fullIsFault: Bool,
        read: @escaping @Sendable () -> (counters: SinkBufferCounters, usage: Double)
    ) {
        let events = metrics.gauge(.bufferEvents, type)
        let bytes = metrics.gauge(.bufferBytes, type)
        let usage = metrics.gauge(.bufferUsage, type)
        let oldest = metrics.gauge(.bufferOldestAge, type)
        metrics.onCollect {
            let (counters, fraction) = read()
            events.set(counters.points)
            bytes.set(counters.bytes)
            usage.set(fraction)
            oldest.set(counters.oldestAge.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 } ?? 0)
        }
        guard fullIsFault else { return }
        health.register(metrics.id + ".buffer") {
            let (counters, fraction) = read()
            guard fraction >= 1 else { return .ready }
            return .notReady("\(type) buffer full: \(counters.points) points waiting")
        }
    }
}
