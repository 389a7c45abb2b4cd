/// One metric point: a measurement, tags sorted by key, typed fields and a nanosecond timestamp.
public struct Point: Sendable, Hashable {
    public struct Tag: Sendable, Hashable {
        public var key: String
        public var value: String

        @inlinable
        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    public struct Field: Sendable, Hashable {
        public var key: String
        public var value: FieldValue

        @inlinable
        public init(_ key: String, _ value: FieldValue) {
            self.key = key
            self.value = value
        }
    }

    public var measurement: String
    /// Sorted by key (byte order), one value per key; `setTag` keeps that order.
    public private(set) var tags: [Tag]
    public var fields: [Field]
    /// Nanoseconds since the Unix epoch.
    public var timestamp: Int64

    public init(measurement: String, tags: [Tag] = [], fields: [Field], timestamp: Int64) {
        self.measurement = measurement
        self.tags = tags
        self.fields = fields
        self.timestamp = timestamp
        if !Self.isSortedUnique(self.tags) { self.normalizeTags() }
    }

    static func isSortedUnique(_ tags: [Tag]) -> Bool {
        var index = 1
        while index < tags.count {
            if !Self.byteOrder(tags[index - 1].key, tags[index].key) { return false }
            index += 1
        }
        return true
    }

    /// Line protocol sorts tags by key in byte order (InfluxDB's own order), not Unicode order:
    /// the order of `tags`, and the one `mergeTags` expects its additions in.
    @inlinable
    public static func byteOrder(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    mutating func normalizeTags() {
        // Stable sort, and the last value given for a key wins.
        var seen: [String: Int] = [:]
        var unique: [Tag] = []
        for tag in tags {
            if let index = seen[tag.key] { unique[index] = tag } else {
                seen[tag.key] = unique.count
                unique.append(tag)
            }
        }
        tags = unique.sorted { Self.byteOrder($0.key, $1.key) }
    }

    public func tag(_ key: String) -> String? {
        tags.first { $0.key == key }?.value
    }

    public mutating func setTag(_ key: String, _ value: String) {
        if let index = tags.firstIndex(where: { $0.key == key }) {
            tags[index].value = value
        } else {
            tags.append(Tag(key, value))
            normalizeTags()
        }
    }

    /// Sets several tags at once: `additions` must be sorted by key in byte order with unique
    /// keys (precompute that order once); their values replace existing ones. One merge, where
    /// calling `setTag` per tag would re-sort each time.
    public mutating func mergeTags(_ additions: [Tag]) {
        guard !additions.isEmpty else { return }
        var merged: [Tag] = []
        merged.reserveCapacity(tags.count + additions.count)
        var existing = 0
        for addition in additions {
            while existing < tags.count, Self.byteOrder(tags[existing].key, addition.key) {
                merged.append(tags[existing])
                existing += 1
            }
            if existing < tags.count, tags[existing].key == addition.key { existing += 1 }
            merged.append(addition)
        }
        merged.append(contentsOf: tags[existing...])
        tags = merged
    }

    public mutating func removeTag(_ key: String) {
        tags.removeAll { $0.key == key }
    }

    public func field(_ key: String) -> FieldValue? {
        fields.first { $0.key == key }?.value
    }
}

extension Point {
    /// About the bytes of this point's line protocol, without encoding it: the exact lengths of
    /// the measurement, tag keys and values and field keys, a fixed width per field value (a
    /// float 12 bytes, an integer 4 with its suffix, a bool 4, a string its length and quotes)
    /// and 19 for the time. Escapes are not counted. For buffer counters, where encoding every
    /// waiting point would cost more than the count is worth.
    public var estimatedLineProtocolBytes: Int {
        // Two spaces, a newline, an '=' per field and the commas between fields.
        var bytes = measurement.utf8.count + 19 + 3 + 2 * fields.count - 1
        for tag in tags { bytes += 2 + tag.key.utf8.count + tag.value.utf8.count }
        for field in fields {
            bytes += field.key.utf8.count
            switch field.value {
            case .float: bytes += 12
            case .int, .uint, .bool: bytes += 4
            case .string(let text): bytes += text.utf8.count + 2
            }
        }
        return bytes
    }
}

extension Batch {
    /// The sum of its points' `estimatedLineProtocolBytes`.
    public var estimatedLineProtocolBytes: Int {
        points.reduce(0) { $0 + $1.estimatedLineProtocolBytes }
    }
}
