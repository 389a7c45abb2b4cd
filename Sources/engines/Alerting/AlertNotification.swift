import EventModel

/// What a notifier sends: one edge of one rule on one target (the webhook's JSON body, the exec
/// command's stdin and `{…}` arguments). Identity: (`key`, `rule`, `timeNanoseconds`).
public struct AlertNotification: Sendable, Hashable, Codable {
    /// The target's state key: its path (else its name), `~slave` for a SmokePing slave's rounds.
    public var key: String
    public var target: String
    public var path: String?
    public var title: String?
    public var category: String?
    public var site: String?
    public var rule: String
    public var state: AlertEdge.Kind
    /// Loss in percent or the median in ms of the round, nil when the round has none.
    public var value: Double?
    public var pattern: String
    public var comment: String
    /// The round's time, nanoseconds since the epoch.
    public var timeNanoseconds: Int64

    public init(
        key: String, target: String, path: String?, title: String?, category: String?, site: String?, rule: String,
        state: AlertEdge.Kind, value: Double?, pattern: String, comment: String, timeNanoseconds: Int64
    ) {
        self.key = key
        self.target = target
        self.path = path
        self.title = title
        self.category = category
        self.site = site
        self.rule = rule
        self.state = state
        self.value = value
        self.pattern = pattern
        self.comment = comment
        self.timeNanoseconds = timeNanoseconds
    }

    /// Deduplication: a target, a rule and the edge's round.
    public struct Identity: Sendable, Hashable, Codable {
        public var key: String
        public var rule: String
        public var time: Int64
    }

    public var identity: Identity { Identity(key: key, rule: rule, time: timeNanoseconds) }

    /// The round's time as ISO 8601 UTC with milliseconds (`2026-12-02T15:04:05.123Z`).
    public var time: String { Self.iso8601(timeNanoseconds) }

    /// Howard Hinnant's days-to-civil; no Foundation in an engine's hot path.
    public static func iso8601(_ nanoseconds: Int64) -> String {
        let milliseconds = nanoseconds.floorDivided(by: 1_000_000)
        let seconds = milliseconds.floorDivided(by: 1000)
        let days = seconds.floorDivided(by: 86400)
        let secondOfDay = seconds - days * 86400
        let shifted = days + 719_468
        let era = shifted.floorDivided(by: 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(width - text.count, 0)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):"
            + "\(pad(secondOfDay % 60, 2)).\(pad(milliseconds - seconds * 1000, 3))Z"
    }
}
