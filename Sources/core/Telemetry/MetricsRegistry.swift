public import CoreMetrics
import Prometheus
import Synchronization

/// The metrics of one run (a pipeline, `smokeflow serve`): swift-metrics handles backed by a
/// Prometheus registry of its own, so two pipelines in one process (tests, `run --serve`) never
/// mix their series, and nothing is bootstrapped process-wide.
///
/// Gauges whose value lives elsewhere (buffer depth, snapshot age, memory) are read when
/// scraped: `onCollect` registers the closure that sets them.
public final class MetricsRegistry: Sendable {
    private let prometheus: PrometheusCollectorRegistry?
    private let factory: any MetricsFactory
    private let collectors = Mutex<[@Sendable () -> Void]>([])

    /// A registry that keeps its series for `exposition()`.
    public init() {
        let registry = PrometheusCollectorRegistry()
        prometheus = registry
        factory = PrometheusMetricsFactory(registry: registry)
    }

    private init(discarding: Void) {
        prometheus = nil
        factory = NOOPMetricsHandler.instance
    }

    /// Counts nothing and exposes nothing: a run without a metrics endpoint pays only for a
    /// call that does nothing.
    public static let discarding = MetricsRegistry(discarding: ())

    public var isDiscarding: Bool { prometheus == nil }

    public func counter(_ family: MetricFamily, _ labels: [(String, String)]) -> CoreMetrics.Counter {
        guard let prometheus else {
            return Counter(label: family.name, dimensions: labels, handler: NOOPMetricsHandler.instance, factory: factory)
        }
        let handler = prometheus.makeCounter(name: family.name, labels: labels, help: family.help)
        return Counter(label: family.name, dimensions: labels, handler: handler, factory: factory)
    }

    /// A counter of fractions (CPU seconds).
    public func floatingCounter(_ family: MetricFamily, _ labels: [(String, String)]) -> CoreMetrics.FloatingPointCounter {
        guard let prometheus else {
            return FloatingPointCounter(label: family.name, dimensions: labels, handler: NOOPMetricsHandler.instance, factory: factory)
        }
        let handler = prometheus.makeCounter(name: family.name, labels: labels, help: family.help)
        return FloatingPointCounter(label: family.name, dimensions: labels, handler: handler, factory: factory)
    }

    public func gauge(_ family: MetricFamily, _ labels: [(String, String)]) -> CoreMetrics.Meter {
        guard let prometheus else {
            return Meter(label: family.name, dimensions: labels, handler: NOOPMetricsHandler.instance, factory: factory)
        }
        let handler = prometheus.makeGauge(name: family.name, labels: labels, help: family.help)
        return Meter(label: family.name, dimensions: labels, handler: handler, factory: factory)
    }

    /// A histogram of durations; the family's buckets are in seconds.
    public func timer(_ family: MetricFamily, _ labels: [(String, String)]) -> CoreMetrics.Timer {
        guard let prometheus, case .histogram(let buckets) = family.kind else {
            return Timer(label: family.name, dimensions: labels, handler: NOOPMetricsHandler.instance, factory: factory)
        }
        let handler = prometheus.makeDurationHistogram(
            name: family.name, labels: labels, buckets: buckets.map { .nanoseconds(Int64(($0 * 1e9).rounded())) }, help: family.help)
        return Timer(label: family.name, dimensions: labels, handler: handler, factory: factory)
    }

    /// Runs `collect` before every exposition, to set gauges read from elsewhere. Collectors
    /// must be quick and must not block: they run on the scraping request's task.
    public func onCollect(_ collect: @escaping @Sendable () -> Void) {
        guard prometheus != nil else { return }
        collectors.withLock { $0.append(collect) }
    }

    /// The Prometheus text format (version 0.0.4) of every series, collectors run first.
    public func exposition() -> [UInt8] {
        guard let prometheus else { return [] }
        for collect in collectors.withLock({ $0 }) { collect() }
        return prometheus.emitToBuffer()
    }

    /// The content type of `exposition()`.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}
