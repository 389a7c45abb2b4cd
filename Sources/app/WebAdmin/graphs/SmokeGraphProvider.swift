public import ConfigManager

/// The time a graph shows: SmokePing's four ranges, or one the user picked.
public enum GraphWindow: Sendable, Equatable {
    case preset(Preset)
    case custom(start: Int, end: Int)

    public enum Preset: String, Sendable, CaseIterable {
        case hours3 = "3h", hours30 = "30h", days10 = "10d", year = "1y"

        public var seconds: Int {
            switch self {
            case .hours3: 3 * 3600
            case .hours30: 30 * 3600
            case .days10: 10 * 86400
            case .year: 365 * 86400
            }
        }

        public var label: String {
            switch self {
            case .hours3: "Last 3 hours"
            case .hours30: "Last 30 hours"
            case .days10: "Last 10 days"
            case .year: "Last year"
            }
        }
    }

    /// `[start, end]` in Unix seconds, ending `now` for a preset.
    public func bounds(now: Int) -> (start: Int, end: Int) {
        switch self {
        case .preset(let preset): (now - preset.seconds, now)
        case .custom(let start, let end): (start, end)
        }
    }
}

/// Draws a target's smoke graph from wherever its rounds are kept (RRD files or InfluxDB).
public protocol SmokeGraphProvider: Sendable {
    func svg(for target: StoredTarget, window: GraphWindow, compact: Bool) async throws -> String
    func png(for target: StoredTarget, window: GraphWindow) async throws -> [UInt8]
    /// "median min/avg/max/last …, loss …" for the detail page.
    func summary(for target: StoredTarget, window: GraphWindow) async throws -> String
}
