import Alerting
import EventModel

/// The tags the alert transform reads from a round, in one pass over the point's tags.
struct AlertPointTags {
    var target: String?
    var path: String?
    var slave: String?
    var category: String?
    var title: String?
    var site: String?
    var alerts: String?

    init(_ point: Point, alertsTag: String) {
        for tag in point.tags {
            if tag.key == alertsTag {
                alerts = tag.value
                continue
            }
            switch tag.key {
            case LatencySchema.Tag.target: target = tag.value
            case LatencySchema.Tag.path: path = tag.value
            case LatencySchema.Tag.slave: slave = tag.value
            case LatencySchema.Tag.category: category = tag.value
            case LatencySchema.Tag.title: title = tag.value
            case LatencySchema.Tag.site: site = tag.value
            default: break
            }
        }
    }
}

extension AlertRound {
    /// A `latency` or `dns_latency` round (docs/schema.md): loss as SmokePing computes it,
    /// `lost × 100 / pings` (else the `loss` field), and the `median`.
    init(_ point: Point) {
        var median: Double?
        var loss: Double?
        var lost: Double?
        var pings: Double?
        for field in point.fields {
            switch field.key {
            case LatencySchema.Field.median: median = field.value.number
            case LatencySchema.Field.loss: loss = field.value.number
            case LatencySchema.Field.lost: lost = field.value.number
            case LatencySchema.Field.pings: pings = field.value.number
            default: continue
            }
        }
        if let lost, let pings, pings > 0 { loss = lost * 100 / pings }
        self.init(time: point.timestamp, lossPercent: loss, medianMilliseconds: median)
    }
}

extension FieldValue {
    /// A float, int or uint as a Double; nil for bools and strings.
    var number: Double? {
        switch self {
        case .float(let value): value
        case .int(let value): Double(value)
        case .uint(let value): Double(value)
        case .bool, .string: nil
        }
    }
}
