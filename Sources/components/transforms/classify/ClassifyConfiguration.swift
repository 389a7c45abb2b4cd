import Foundation
public import PipelineConfig
public import EventModel
public import PipelineRuntime

/// `type: classify` — declarative, first-match-wins rules that set the measurement, tags,
/// fields and `probe_type` of each point (`ClassifyRule`). The file's `rules` come first, then
/// `default` (actions for points no rule matched), then — with `defaults: smokeping`, the
/// default — the built-in rules that classify SmokePing trees (`SmokePingClassification`).
public struct ClassifyConfiguration: TransformConfiguration {
    public static let typeName = "classify"
    public enum Defaults: String, Sendable, CaseIterable { case smokeping, none }

    public var rules: [ClassifyRule]

    public init(options: inout OptionsReader) {
        var rules: [ClassifyRule] = []
        if let node = options.node("rules") {
            if let items = node.sequence {
                for (index, item) in items.enumerated() {
                    if let rule = ClassifyRuleReader.read(item, name: "rule \(index + 1)", componentID: options.componentID, into: &options) {
                        rules.append(rule)
                    }
                }
            } else {
                options.fail(node.location, "option 'rules' must be a list of rules")
            }
        }
        let defaults: Defaults = options.oneOf("defaults", default: .smokeping)
        if let node = options.node("default") {
            if var rule = ClassifyRuleReader.read(node, name: "default", componentID: options.componentID, into: &options) {
                if rule.measurement != nil || !rule.tags.isEmpty || !rule.fieldsPresent.isEmpty || !rule.sources.isEmpty {
                    options.fail(node.location, "the 'default' of '\(options.componentID)' has actions only, no 'match'")
                }
                rule.measurement = nil
                if defaults == .smokeping { rules += SmokePingClassification.rules }
                rules.append(rule)
            }
        } else if defaults == .smokeping {
            rules += SmokePingClassification.rules
        }
        self.rules = rules
    }

    public func build(_ context: BuildContext) throws -> Classify { Classify(rules: rules) }
}

public struct Classify: BatchTransform {
    let rules: [ClassifyRule]

    public func transform(_ batch: inout Batch) throws {
        for index in batch.points.indices {
            if let rule = rules.first(where: { $0.matches(batch.points[index], origin: batch.origin) }) {
                rule.apply(&batch.points[index])
            }
        }
    }
}

/// The built-in rules for SmokePing trees (documented in `docs/schema.md`): DNS probes go to
/// `dns_latency` (also `_1h`/`_12h` rows), IPv6 targets get `probe_type` `fping6`.
public enum SmokePingClassification {
    static func regex(_ pattern: String) -> StringMatcher { .regex(try! NSRegularExpression(pattern: pattern)) }
    static let latency = regex("^latency(_[0-9]+[smhd])?$")

    public static var rules: [ClassifyRule] {
        var byProbeType = ClassifyRule(name: "smokeping: DNS probe")
        byProbeType.measurement = latency
        byProbeType.tags = [("probe_type", .exact("dns"))]
        byProbeType.setMeasurement = "dns_latency$1"
        // As the RRD reader writes DNS rows: `resolution_time` is the median, also for `_min`/`_max`.
        byProbeType.copyFields = [("median", "resolution_time"), ("median_min", "resolution_time_min"), ("median_max", "resolution_time_max")]

        var byPath = byProbeType
        byPath.name = "smokeping: DNS section"
        byPath.tags = [("path", .glob(Glob("DNS/**")))]
        byPath.setProbeType = "dns"
        byPath.copyTags = [("target", "resolver")]

        var byResolver = byProbeType
        byResolver.name = "smokeping: resolver tag"
        byResolver.tags = [("resolver", regex("."))]
        byResolver.setProbeType = "dns"

        var ipv6 = ClassifyRule(name: "smokeping: IPv6 target")
        ipv6.measurement = latency
        ipv6.tags = [("path", regex("(?i)ipv6|(^|[/_.-])v6($|[/_.-])")), ("probe_type", .exact("fping"))]
        ipv6.setProbeType = "fping6"
        return [byProbeType, byPath, byResolver, ipv6]
    }
}
