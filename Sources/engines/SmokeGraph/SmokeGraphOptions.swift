public import Foundation

/// What to draw: size of the plot area, title, time zone, and the compact sparkline variant.
public struct SmokeGraphOptions: Sendable {
    /// Plot area in pixels (SmokePing's detail defaults are 600 × 200).
    public var width: Int
    public var height: Int
    /// Shown escaped; may be any user text.
    public var title: String
    public var timeZone: TimeZone
    /// A sparkline for dashboards: bands and medians only, no axes, no legend.
    public var compact: Bool
    /// Caps the y axis like SmokePing's `max_rtt` (ms).
    public var maxRTT: Double?
    /// The probe line of the legend, e.g. `20 ICMP Echo Pings (56 Bytes) every 300s`.
    public var probeDescription: String?

    public init(
        width: Int = 600, height: Int = 200, title: String = "", timeZone: TimeZone = .current,
        compact: Bool = false, maxRTT: Double? = nil, probeDescription: String? = nil
    ) {
        self.width = width
        self.height = height
        self.title = title
        self.timeZone = timeZone
        self.compact = compact
        self.maxRTT = maxRTT
        self.probeDescription = probeDescription
    }

    /// A dashboard sparkline: 200 × 40, no text.
    public static func sparkline(title: String = "", timeZone: TimeZone = .current) -> SmokeGraphOptions {
        SmokeGraphOptions(width: 200, height: 40, title: title, timeZone: timeZone, compact: true)
    }
}
