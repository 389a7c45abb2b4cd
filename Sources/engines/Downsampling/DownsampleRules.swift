import EventModel

/// What a downsampler computes: the window, which points it takes, and the aggregates per field.
public struct DownsampleRules: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Latency rollups: mean/min/max/count per field, pooled percentiles, loss from sums.
        case aggregate
        /// SmokePing's own consolidation: AVERAGE/MIN/MAX per field with the xff rule.
        case rrd
    }

    /// Where an output point is stamped.
    public enum Stamp: String, Sendable, CaseIterable { case start, end }

    public enum LateData: String, Sendable, CaseIterable {
        /// Counted and dropped.
        case drop
        /// Folded into the closed window, which is emitted again (the same series and time, so
        /// InfluxDB overwrites it), while the window is younger than `updateHorizon`.
        case update
    }

    public enum Aggregate: String, Sendable, CaseIterable, Codable {
        case mean, min, max, count, sum

        /// `mean` keeps the field's own name (as RRD AVERAGE rows do); the others get a suffix.
        public func outputName(_ field: String) -> String { self == .mean ? field : field + "_" + rawValue }
    }

    public var mode: Mode = .aggregate
    /// Window length in nanoseconds; windows are aligned to the Unix epoch.
    public var window: Int64
    /// Event time the watermark trails behind the newest point seen.
    public var allowedLateness: Int64 = 0
    public var lateData: LateData = .drop
    /// How long after it closed a window still takes late points (`update` only).
    public var updateHorizon: Int64
    public var stamp: Stamp = .end
    /// Input measurements that are downsampled, each to its output measurement.
    public var measurements: [String: String]
    /// Fields aggregated one by one (`aggregate` mode).
    public var fields: [(name: String, aggregates: [Aggregate])] = [
        (LatencySchema.Field.median, [.mean, .min, .max, .count]), (LatencySchema.Field.resolutionTime, [.mean, .min, .max, .count]),
        (LatencySchema.Field.lost, [.mean]),
    ]
    /// Percentiles of the values of every `ping_<n>` field of the window, pooled (`aggregate` mode).
    public var percentiles: [Double] = [5, 10, 25, 50, 75, 90, 95]
    public var percentilePrefix = LatencySchema.Field.pingPrefix
    /// `loss` = 100 · Σlost / Σpings over the window's rounds (`aggregate` mode).
    public var recomputeLoss = true
    /// RRD mode: the primary step (nanoseconds) and the xff (the largest unknown fraction).
    public var step: Int64 = 300_000_000_000
    public var xff: Double = 0.5

    public init(window: Int64, measurements: [String: String]) {
        self.window = window
        self.updateHorizon = window
        self.measurements = measurements
    }


    /// Name of the output field of a percentile: `ping_p5`, `ping_p99_9`.
    public func percentileName(_ percentile: Double) -> String {
        let text = percentile == percentile.rounded() ? String(Int(percentile)) : String(String(percentile).map { $0 == "." ? "_" : $0 })
        return percentilePrefix + "p" + text
    }

    /// Whether a field is one of the per-ping values (`ping_1` … `ping_N`).
    public func isPingField(_ name: String) -> Bool {
        var prefix = percentilePrefix.utf8.makeIterator()
        var digits = 0
        for byte in name.utf8 {
            if let expected = prefix.next() {
                guard byte == expected else { return false }
            } else {
                guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return false }
                digits += 1
            }
        }
        return digits > 0
    }
}
