import Foundation

extension OptionsReader {
    /// The unit of a time given as a bare number: `rrd`'s `since`/`until` and the command line
    /// take seconds, `influx_query`'s `from`/`to` nanoseconds (what jobs pass them).
    public enum EpochUnit: Sendable {
        case seconds, nanoseconds

        var name: String { self == .seconds ? "seconds" : "nanoseconds" }
        var perSecond: Int64 { self == .seconds ? 1 : 1_000_000_000 }
    }

    /// A point in time: see `parseTime`. Records an error and returns nil when it is not one.
    public mutating func time(_ key: String, in unit: EpochUnit) -> Int64? {
        guard let node = node(key) else { return nil }
        guard let text = node.scalar, let value = Self.parseTime(text, as: unit) else {
            fail(node.location, "option '\(key)' must be \(unit.name) since 1970 or an ISO 8601 time such as 2025-01-31T00:00:00Z or 2025-01-31")
            return nil
        }
        return value
    }

    /// A time as `unit`s since 1970, from a bare number of `integerUnit`s (default: `unit`; never
    /// finer than `unit`), an ISO 8601 time (`2025-01-31T12:00:00Z`, `…+01:00`) or an ISO 8601
    /// date (`2025-01-31`, midnight UTC); nil when the text is none of these or the time does not
    /// fit in 64 bits. The one parser for times, in pipeline files and on the command line.
    public static func parseTime(_ text: String, as unit: EpochUnit, integersIn integerUnit: EpochUnit? = nil) -> Int64? {
        if let value = Int64(text) { return scale(value, by: unit.perSecond / (integerUnit ?? unit).perSecond) }
        let formatter = ISO8601DateFormatter()
        var date = formatter.date(from: text)
        if date == nil {
            formatter.formatOptions = [.withFullDate]
            date = formatter.date(from: text)
        }
        guard let date else { return nil }
        return scale(Int64(date.timeIntervalSince1970), by: unit.perSecond)
    }

    static func scale(_ value: Int64, by factor: Int64) -> Int64? {
        precondition(factor > 0, "bare numbers in a finer unit than the result")
        let (scaled, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow ? nil : scaled
    }
}
