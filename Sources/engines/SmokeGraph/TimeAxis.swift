public import Foundation

/// The x axis: tick spacing and label format by range length, in the graph's time zone,
/// close to what rrdtool picks for SmokePing's 3 h, 30 h, 10 d and 1 y graphs.
public struct TimeAxis: Sendable {
    public struct Tick: Sendable, Equatable {
        public var time: Int
        public var label: String
    }

    /// Seconds between labelled ticks and the label format, by seconds shown.
    struct Spacing {
        var seconds: Int
        var format: String
    }

    static func spacing(for span: Int) -> Spacing {
        switch span {
        case ..<(5 * 3600): Spacing(seconds: 1800, format: "HH:mm")
        case ..<(2 * 86_400): Spacing(seconds: 6 * 3600, format: "EEE HH:mm")
        case ..<(20 * 86_400): Spacing(seconds: 86_400, format: "EEE d")
        case ..<(100 * 86_400): Spacing(seconds: 7 * 86_400, format: "MMM d")
        default: Spacing(seconds: 0, format: "MMM")  // months: calendar steps
        }
    }

    /// Ticks at whole local hours/days/months inside [start, end].
    public static func ticks(start: Int, end: Int, timeZone: TimeZone) -> [Tick] {
        guard end > start else { return [] }
        let spacing = spacing(for: end - start)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = spacing.format
        var ticks: [Tick] = []
        let startDate = Date(timeIntervalSince1970: TimeInterval(start))
        if spacing.seconds == 0 {
            // First of each month.
            var components = calendar.dateComponents([.year, .month], from: startDate)
            components.day = 1
            guard var date = calendar.date(from: components) else { return [] }
            while Int(date.timeIntervalSince1970) <= end {
                if Int(date.timeIntervalSince1970) >= start {
                    ticks.append(Tick(time: Int(date.timeIntervalSince1970), label: formatter.string(from: date)))
                }
                guard let next = calendar.date(byAdding: .month, value: 1, to: date) else { break }
                date = next
            }
            return ticks
        }
        // Align to local midnight, then step; steps that cross a DST change realign per day.
        let midnight = Int(calendar.startOfDay(for: startDate).timeIntervalSince1970)
        var time = midnight
        if spacing.seconds == 7 * 86_400 {
            // Weeks start on Monday, as rrdtool's week grid does.
            let weekday = calendar.component(.weekday, from: Date(timeIntervalSince1970: TimeInterval(midnight)))
            time -= ((weekday + 5) % 7) * 86_400
        }
        while time <= end {
            if time >= start {
                ticks.append(Tick(time: time, label: formatter.string(from: Date(timeIntervalSince1970: TimeInterval(time)))))
            }
            time += spacing.seconds
        }
        return ticks
    }

    /// The name shown under the graph: the zone's abbreviation at `time` and its identifier.
    public static func zoneName(_ timeZone: TimeZone, at time: Int) -> String {
        let date = Date(timeIntervalSince1970: TimeInterval(time))
        let abbreviation = timeZone.abbreviation(for: date) ?? ""
        return abbreviation.isEmpty || abbreviation == timeZone.identifier ? timeZone.identifier : "\(timeZone.identifier) (\(abbreviation))"
    }
}
