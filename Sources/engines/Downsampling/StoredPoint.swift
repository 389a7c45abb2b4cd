public import EventModel

/// An output point in a checkpoint document: emitted windows wait there until every sink has
/// acknowledged them, and are sent again after a restart if they were not (re-sending a
/// window writes the same series and time, which InfluxDB overwrites).
public struct StoredPoint: Codable, Sendable, Equatable {
    struct Field: Codable, Sendable, Equatable {
        var key: String
        var float: Double?
        var int: Int64?
    }

    var measurement: String
    var tags: [String]
    var fields: [Field]
    var timestamp: Int64

    public init(_ point: Point) {
        measurement = point.measurement
        tags = point.tags.flatMap { [$0.key, $0.value] }
        fields = point.fields.compactMap { field in
            switch field.value {
            case .float(let value): Field(key: field.key, float: value)
            case .int(let value): Field(key: field.key, int: value)
            default: nil
            }
        }
        timestamp = point.timestamp
    }

    public var point: Point {
        Point(
            measurement: measurement,
            tags: stride(from: 0, to: tags.count - 1, by: 2).map { Point.Tag(tags[$0], tags[$0 + 1]) },
            fields: fields.map { field in .init(field.key, field.int.map(FieldValue.int) ?? .float(field.float ?? 0)) },
            timestamp: timestamp
        )
    }
}
