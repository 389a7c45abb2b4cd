public import CoreMetrics
import Synchronization

/// A stage's view of its run's metrics: every series it makes carries its `component_id`,
/// `component_kind` and `component_type`, then the family's own labels.
public struct ComponentMetrics: Sendable {
    public let registry: MetricsRegistry
    public let id: String
    /// `source`, `transform` or `sink`.
    public let kind: String
    public let labels: [(String, String)]

    public init(registry: MetricsRegistry, id: String, kind: String, type: String) {
        self.registry = registry
        self.id = id
        self.kind = kind
        labels = [("component_id", id), ("component_kind", kind), ("component_type", type)]
    }

    /// Counts nothing: for components built outside a pipeline (tools, tests of one stage).
    public static func discarding(id: String, kind: String = "", type: String = "") -> ComponentMetrics {
        ComponentMetrics(registry: .discarding, id: id, kind: kind, type: type)
    }

    /// `values` are the family's own labels, in the order `family.labels` names them.
    public func counter(_ family: MetricFamily, _ values: String...) -> CoreMetrics.Counter {
        registry.counter(family, labels + zip(family.labels, values).map { ($0, $1) })
    }

    public func gauge(_ family: MetricFamily, _ values: String...) -> CoreMetrics.Meter {
        registry.gauge(family, labels + zip(family.labels, values).map { ($0, $1) })
    }

    public func timer(_ family: MetricFamily, _ values: String...) -> CoreMetrics.Timer {
        registry.timer(family, labels + zip(family.labels, values).map { ($0, $1) })
    }

    public func onCollect(_ collect: @escaping @Sendable () -> Void) {
        registry.onCollect(collect)
    }

    /// A counter that follows a count kept elsewhere (an `Atomic` a component owns): when
    /// scraped, it grows by what `read` grew since the last scrape.
    public func mirror(_ family: MetricFamily, _ values: String..., read: @escaping @Sendable () -> Int) {
        guard !registry.isDiscarding else { return }
        let counter = registry.counter(family, labels + zip(family.labels, values).map { ($0, $1) })
        let counted = Mutex(0)
        registry.onCollect {
            let now = read()
            let delta = counted.withLock { last -> Int in
                defer { last = max(last, now) }
                return max(0, now - last)
            }
            if delta > 0 { counter.increment(by: Int64(delta)) }
        }
    }
}

/// One family's counters of a stage by the value of its one label (a drop's reason, a retry's
/// cause), each made the first time that value is counted: a handful per stage.
public final class LabelledCounters: Sendable {
    private let metrics: ComponentMetrics
    private let family: MetricFamily
    private let series = Mutex<[String: CoreMetrics.Counter]>([:])

    public init(_ metrics: ComponentMetrics, _ family: MetricFamily) {
        self.metrics = metrics
        self.family = family
    }

    public func increment(_ value: String, by count: Int = 1) {
        guard !metrics.registry.isDiscarding else { return }
        series.withLock { series in
            if let counter = series[value] { return counter }
            let counter = metrics.counter(family, value)
            series[value] = counter
            return counter
        }.increment(by: Int64(count))
    }
}
