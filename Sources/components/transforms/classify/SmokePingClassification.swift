import Foundation
public import PipelineConfig
public import EventModel
public import PipelineRuntime

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
