import LibRRD
public import EventModel

/// Turns RRD rows into points of `docs/schema.md`: round-trip times in milliseconds, `loss` in
/// percent of pings, `lost` as a float (a row blends two rounds), `pings` as an integer.
/// Unknown values are left out, never written as 0; a row with no known value gives no point.
public struct RowMapper: Sendable {
    public let file: SmokePingFile
    public let probeType: String
    public let pings: Int
    let tags: [Point.Tag]
    let measurement: String
    /// Field names for AVERAGE, MIN and MAX rows ("", "_min", "_max"), made once per file, not per row.
    let names: [FieldNames]

    struct FieldNames: Sendable {
        var median: String
        var resolutionTime: String
        var loss: String
        var lost: String
        var pings: [String]

        init(suffix: String, pings: Int) {
            median = LatencySchema.Field.median + suffix
            resolutionTime = LatencySchema.Field.resolutionTime + suffix
            loss = LatencySchema.Field.loss + suffix
            lost = LatencySchema.Field.lost + suffix
            self.pings = (0...pings).map { LatencySchema.pingFieldName($0) + suffix }
        }
    }

    /// `dns` rows go to `dns_latency` (with `resolution_time`), everything else to `latency`.
    /// `extraTags` (what a SmokePing config says of the target: probe, title, host) go on every point.
    public init(file: SmokePingFile, probeType: String, pings: Int, extraTags: [Point.Tag] = []) {
        self.file = file
        self.probeType = probeType
        self.pings = pings
        typealias Tag = LatencySchema.Tag
        measurement = probeType == LatencySchema.ProbeType.dns ? LatencySchema.Measurement.dnsLatency : LatencySchema.Measurement.latency
        var tags: [Point.Tag] = [.init(Tag.target, file.target), .init(Tag.path, file.seriesPath), .init(Tag.probeType, probeType)]
        if let category = file.category { tags.append(.init(Tag.category, category)) }
        if let slave = file.slave { tags.append(.init(Tag.slave, slave)) }
        tags += extraTags.filter { extra in !tags.contains { $0.key == extra.key } }
        // Sorted once here, so building each point skips sorting them.
        self.tags = tags.sorted { Point.byteOrder($0.key, $1.key) }
        names = ["", LatencySchema.Field.minSuffix, LatencySchema.Field.maxSuffix].map { FieldNames(suffix: $0, pings: pings) }
    }

    /// Consolidated rows go to their own measurement, named by their resolution (`latency_1h`).
    public func measurement(resolution: Int, consolidated: Bool) -> String {
        consolidated ? LatencySchema.Measurement.rollup(measurement, window: Int64(resolution) * 1_000_000_000) : measurement
    }

    /// Data source columns of a fetch, by meaning.
    public struct Columns: Sendable {
        var loss: Int?
        var median: Int?
        var pings: [(index: Int, column: Int)]

        public init(_ names: [String]) {
            loss = names.firstIndex(of: "loss")
            median = names.firstIndex(of: "median")
            pings = names.enumerated().compactMap { column, name in
                guard name.hasPrefix("ping"), let index = Int(name.dropFirst(4)) else { return nil }
                return (index, column)
            }.sorted { $0.index < $1.index }
        }
    }

    /// One point from a row of each consolidation function (`rows[0]` is AVERAGE; MIN and MAX
    /// rows, when given, add `<field>_min` and `<field>_max`).
    public func point(
        time: Int, resolution: Int, consolidated: Bool, columns: Columns, rows: [(suffix: String, values: ArraySlice<Double>)]
    ) -> Point? {
        var fields: [Point.Field] = []
        var known = false
        fields.reserveCapacity(rows.count * (columns.pings.count + 4) + 1)
        for (suffix, values) in rows {
            let names = suffix.isEmpty ? self.names[0] : suffix == LatencySchema.Field.minSuffix ? self.names[1]
                : suffix == LatencySchema.Field.maxSuffix ? self.names[2]
                : FieldNames(suffix: suffix, pings: pings)
            let base = values.startIndex
            if let column = columns.median, case let value = values[base + column], value.isFinite {
                let milliseconds = value * 1000
                fields.append(.init(names.median, .float(milliseconds)))
                if probeType == LatencySchema.ProbeType.dns { fields.append(.init(names.resolutionTime, .float(milliseconds))) }
                known = true
            }
            if let column = columns.loss, case let lost = values[base + column], lost.isFinite {
                fields.append(.init(names.loss, .float(lost / Double(pings) * 100)))
                fields.append(.init(names.lost, .float(lost)))
                known = true
            }
            for (index, column) in columns.pings {
                let value = values[base + column]
                guard value.isFinite else { continue }
                fields.append(.init(index < names.pings.count ? names.pings[index] : LatencySchema.pingFieldName(index) + suffix, .float(value * 1000)))
                known = true
            }
        }
        guard known else { return nil }
        fields.append(.init(LatencySchema.Field.pings, .int(Int64(pings))))
        return Point(
            measurement: measurement(resolution: resolution, consolidated: consolidated), tags: tags, fields: fields,
            timestamp: Int64(time) * 1_000_000_000
        )
    }
}
