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

    /// RFC 3339 UTC with milliseconds, as the log lines write it.
    public static func iso8601(_ nanoseconds: Int64) -> String { RFC3339.string(nanoseconds) }
}
