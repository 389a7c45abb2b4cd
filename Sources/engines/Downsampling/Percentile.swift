/// InfluxQL's `percentile(field, N)`: the nearest-rank value of the sorted values, the element
/// at index `floor(count · N / 100 + 0.5) − 1`, or none when that index falls outside the
/// values (e.g. `percentile(x, 5)` of fewer than 10 values). No interpolation: the answer is
/// always one of the values, as in InfluxDB 1.x and `docs/schema.md`.
public enum NearestRankPercentile {
    public static func index(count: Int, percentile: Double) -> Int? {
        let index = Int((Double(count) * percentile / 100 + 0.5).rounded(.down)) - 1
        return index >= 0 && index < count ? index : nil
    }

    /// `sorted` must be in ascending order.
    public static func value(sorted: [Double], percentile: Double) -> Double? {
        index(count: sorted.count, percentile: percentile).map { sorted[$0] }
    }
}
