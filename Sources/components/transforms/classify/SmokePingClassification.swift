import Foundation
import PipelineConfig
import EventModel
import PipelineRuntime

/// The built-in rules for SmokePing trees (documented in `docs/schema.md`): DNS probes go to
/// `dns_latency` (also `_1h`/`_12h` rows), IPv6 targets get `probe_type` `fping6`.
public enum SmokePingClassification {
    typealias Tag = LatencySchema.Tag
    typealias Field = LatencySchema.Field
    typealias ProbeType = LatencySchema.ProbeType

    static func regex(_ pattern: String) -> StringMatcher { .regex(try! NSRegularExpression(pattern: pattern)) }
    /// `latency` and its consolidated rows (`latency_1h`); the suffix is `$1`.
    static let latency = regex("^" + LatencySchema.Measurement.latency + "(_[0-9]+[smhd])?$")

    public static var rules: [ClassifyRule] {
        var byProbeType = ClassifyRule(name: "smokeping: DNS probe")
        byProbeType.measurement = latency
        byProbeType.tags = [(Tag.probeType, .exact(ProbeType.dns))]
        byProbeType.setMeasurement = LatencySchema.Measurement.dnsLatency + "$1"
        // As the RRD reader writes DNS rows: `resolution_time` is the median, also for `_min`/`_max`.
        byProbeType.copyFields = ["", Field.minSuffix, Field.maxSuffix].map { (Field.median + $0, Field.resolutionTime + $0) }

        var byPath = byProbeType
        byPath.name = "smokeping: DNS section"
        byPath.tags = [(Tag.path, .glob(Glob("DNS/**")))]
        byPath.setProbeType = ProbeType.dns
        byPath.copyTags = [(Tag.target, Tag.resolver)]

        var byResolver = byProbeType
        byResolver.name = "smokeping: resolver tag"
        byResolver.tags = [(Tag.resolver, regex("."))]
        byResolver.setProbeType = ProbeType.dns

        var ipv6 = ClassifyRule(name: "smokeping: IPv6 target")
        ipv6.measurement = latency
        ipv6.tags = [(Tag.path, regex("(?i)ipv6|(^|[/_.-])v6($|[/_.-])")), (Tag.probeType, .exact(ProbeType.fping))]
        ipv6.setProbeType = ProbeType.fping6
        return [byProbeType, byPath, byResolver, ipv6]
    }
}
