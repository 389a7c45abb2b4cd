public import EventModel

/// A finished round as the `latency` / `dns_latency` point of docs/schema.md: times in
/// milliseconds sorted ascending, lost pings absent and laid out as SmokePing does
/// (`LatencySchema.receivedPingNumbers`), `median` the upper median, `loss` in percent,
/// timestamp the round's start in ms.
public struct RoundPoints: Sendable {
    public let kind: ProbeKind

    public init(kind: ProbeKind) { self.kind = kind }

    public func point(_ result: RoundResult) -> Point {
        typealias Tag = LatencySchema.Tag
        typealias Field = LatencySchema.Field
        let target = result.target
        var tags = [
            Point.Tag(Tag.path, target.path ?? target.name), Point.Tag(Tag.probeType, kind.probeType),
            Point.Tag(Tag.target, target.name),
        ]
        if let category = target.category { tags.append(Point.Tag(Tag.category, category)) }
        if kind == .dns { tags.append(Point.Tag(Tag.resolver, target.host)) }
        var fields: [Point.Field] = []
        fields.reserveCapacity(result.times.count + 8)
        if let median = result.median {
            if kind == .dns { fields.append(.init(Field.resolutionTime, .float(median))) }
            fields.append(.init(Field.median, .float(median)))
        }
        let lost = result.lost
        let numbers = LatencySchema.receivedPingNumbers(received: result.times.count, sent: result.sent)
        for (number, time) in zip(numbers, result.times) {
            fields.append(.init(LatencySchema.pingFieldName(number), .float(time)))
        }
        fields.append(.init(Field.loss, .float(Double(lost) * 100 / Double(max(result.sent, 1)))))
        fields.append(.init(Field.lost, .float(Double(lost))))
        fields.append(.init(Field.pings, .int(Int64(result.sent))))
        fields.append(.init(Field.duplicates, .int(Int64(result.duplicates))))
        fields.append(.init(Field.late, .int(Int64(result.late))))
        if kind == .dns, let rcode = result.commonRcode { fields.append(.init(Field.rcode, .string(DNSCodec.rcodeName(rcode)))) }
        if let error = result.error { fields.append(.init(Field.error, .string(error))) }
        let milliseconds = result.startedAt / 1_000_000 * 1_000_000
        return Point(measurement: kind.measurement, tags: tags, fields: fields, timestamp: milliseconds)
    }
}
