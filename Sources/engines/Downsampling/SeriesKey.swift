public import EventModel

/// A series: the measurement and the tags (already sorted by key in `Point`).
public struct SeriesKey: Sendable, Hashable, Codable {
    public var measurement: String
    /// Flattened key, value, key, value… (Codable and cheap to hash).
    public var tags: [String]

    public init(_ point: Point) {
        measurement = point.measurement
        var tags: [String] = []
        tags.reserveCapacity(point.tags.count * 2)
        for tag in point.tags {
            tags.append(tag.key)
            tags.append(tag.value)
        }
        self.tags = tags
    }

    public var pointTags: [Point.Tag] {
        stride(from: 0, to: tags.count - 1, by: 2).map { Point.Tag(tags[$0], tags[$0 + 1]) }
    }
}
