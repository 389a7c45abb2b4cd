public import EventModel

/// A finished round as the `latency` / `dns_latency` point of docs/schema.md: times in
/// milliseconds sorted ascending, lost pings absent and split `int(lost/2)` before the received
/// values, `median` the upper median, `loss` in percent, timestamp the round's start in ms.
public struct RoundPoints: Sendable {
    public let kind: ProbeKind

    public init(kind: ProbeKind) { self.kind = kind }
    let pingKeys: [String] = (1...1000).map { "ping_\($0)" }

    public func point(_ result: RoundResult) -> Point {
        let target = result.target
        var tags = [
            Point.Tag("path", target.path ?? target.name), Point.Tag("probe_type", kind.probeType),
            Point.Tag("target", target.name),
        ]
        if let category = target.category { tags.append(Point.Tag("category", category)) }
        if kind == .dns { tags.append(Point.Tag("resolver", target.host)) }
        var fields: [Point.Field] = []
        fields.reserveCapacity(result.times.count + 8)
        if let median = result.median {
            if kind == .dns { fields.append(.init("resolution_time", .float(median))) }
            fields.append(.init("median", .float(median)))
        }
        let lost = result.lost
        for (index, time) in result.times.enumerated() {
            fields.append(.init(pingKeys[lost / 2 + index], .float(time)))
        }
        fields.append(.init("loss", .float(Double(lost) * 100 / Double(max(result.sent, 1)))))
        fields.append(.init("lost", .float(Double(lost))))
        fields.append(.init("pings", .int(Int64(result.sent))))
        fields.append(.init("duplicates", .int(Int64(result.duplicates))))
        fields.append(.init("late", .int(Int64(result.late))))
        if kind == .dns, let rcode = result.commonRcode { fields.append(.init("rcode", .string(DNSCodec.rcodeName(rcode)))) }
        if let error = result.error { fields.append(.init("error", .string(error))) }
        let milliseconds = result.startedAt / 1_000_000 * 1_000_000
        return Point(measurement: kind.measurement, tags: tags, fields: fields, timestamp: milliseconds)
    }
}
