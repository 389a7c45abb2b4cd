/// One metric as Prometheus shows it: its name, what it means, its type. Every family smokeflow
/// exposes is declared once, in `MetricFamily+Catalog.swift`, and listed in docs/metrics.md
/// (a test keeps the two equal), so a meaning has one name, one type and one unit.
public struct MetricFamily: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case counter
        case gauge
        /// Observations in seconds (durations) or another base unit, with these upper bounds.
        case histogram(buckets: [Double])
    }

    public let name: String
    public let help: String
    public let kind: Kind
    /// The labels of its series beside the component's own (`component_id`, `component_kind`,
    /// `component_type`), in order; docs/metrics.md lists them.
    public let labels: [String]

    public init(_ name: String, _ kind: Kind, labels: [String] = [], help: String) {
        self.name = name
        self.help = help
        self.kind = kind
        self.labels = labels
    }

    public var typeName: String {
        switch kind {
        case .counter: "counter"
        case .gauge: "gauge"
        case .histogram: "histogram"
        }
    }

    public var description: String { name }
}
