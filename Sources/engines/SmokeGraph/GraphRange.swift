/// The time span of a graph: SmokePing's default detail ranges or a custom one.
public enum GraphRange: Sendable, Equatable {
    case last3Hours
    case last30Hours
    case last10Days
    case lastYear
    /// Unix seconds, start < end.
    case custom(start: Int, end: Int)

    /// SmokePing's default Presentation/detail table: 3h, 30h, 10d, 360d.
    public var seconds: Int {
        switch self {
        case .last3Hours: 3 * 3600
        case .last30Hours: 30 * 3600
        case .last10Days: 10 * 86_400
        case .lastYear: 360 * 86_400
        case let .custom(start, end): end - start
        }
    }

    /// The interval [start, end] ending `now` (ignored for a custom range).
    public func interval(now: Int) -> (start: Int, end: Int) {
        if case let .custom(start, end) = self { return (start, end) }
        return (now - seconds, now)
    }

    /// The seconds one pixel covers, as rrdtool graph asks rrd_fetch for: librrd then picks the
    /// archive whose step fits best (the finest one that still covers the range).
    public static func resolution(start: Int, end: Int, width: Int) -> Int {
        max(1, (end - start) / max(1, width))
    }
}
