/// One round of one target as the alert check sees it.
public struct AlertRound: Sendable, Hashable {
    /// Nanoseconds since the epoch.
    public var time: Int64
    /// Percent of the pings lost: `lost × 100 / pings`, as `check_alerts` computes it. Nil
    /// (SmokePing's `U`) counts as 0 %, as there (`undef * 100`).
    public var lossPercent: Double?
    /// The round's median in milliseconds; nil when every ping was lost.
    public var medianMilliseconds: Double?

    public init(time: Int64, lossPercent: Double?, medianMilliseconds: Double?) {
        self.time = time
        self.lossPercent = lossPercent
        self.medianMilliseconds = medianMilliseconds
    }
}

/// Something a rule has to say about a target's round.
public struct AlertEdge: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Edge-triggered rule: started matching. Not edge-triggered: matches this round.
        case raised
        /// Edge-triggered rule: stopped matching.
        case cleared
    }

    public let rule: AlertRule
    public let kind: Kind
    /// The round's time (ns): with the target and the rule, the notification's identity.
    public let time: Int64
    /// The round's value for the rule's type: loss in percent, or the median in ms.
    public let value: Double?
    /// Cleared edges: when the episode was raised.
    public let raisedAt: Int64?
}

/// SmokePing's per-target alert state (`$tree->{stack}` and `prevmatch`): the last rounds' loss
/// and rtt, and each rule's state. Kept across restarts, so unlike SmokePing's, `==S` matches
/// only before a target's first rounds ever seen, not after every restart.
public struct TargetAlertState: Sendable, Hashable, Codable {
    /// Oldest first; `[.start]` before the first round.
    public private(set) var loss: [AlertValue] = [.start]
    public private(set) var rtt: [AlertValue] = [.start]
    /// The last round evaluated (ns): a round at or before it is a replay and is skipped.
    public private(set) var lastTime: Int64?
    public private(set) var rules: [String: AlertRuleState] = [:]

    public init() {}

    /// `check_alerts` for one round: push the values (keeping `historyLength`), run each rule in
    /// `ruleSet`'s order, apply priorities, update each rule's state. Nil for a replayed round.
    public mutating func evaluate(_ round: AlertRound, ruleSet: AlertRuleSet) -> [AlertEdge]? {
        if let lastTime, round.time <= lastTime { return nil }
        lastTime = round.time
        loss.append(.number(round.lossPercent ?? 0))
        rtt.append(round.medianMilliseconds.map { .number($0 / 1000) } ?? .unknown)
        let keep = max(ruleSet.historyLength, 1)
        if loss.count > keep {
            loss.removeFirst(loss.count - keep)
            rtt.removeFirst(rtt.count - keep)
        }
        var edges: [AlertEdge] = []
        var priorityDone: Int?
        for rule in ruleSet.rules {
            let history = rule.kind == .loss ? loss : rtt
            let matched = rule.pattern.matches(history)
            var state = rules[rule.name] ?? AlertRuleState()
            let before = state.state
            let action = state.round(matched: matched, at: round.time, edgeTriggered: rule.edgeTrigger)
            rules[rule.name] = state
            let kind: AlertEdge.Kind
            var raisedAt: Int64?
            switch action {
            case .none: continue
            case .raise, .active: kind = .raised
            case .clear(let since):
                kind = .cleared
                raisedAt = since
            }
            if case .matching(let since, _) = before, action == .active { raisedAt = since }
            // `check_alerts`: a rule with a priority sends only while none with a priority has.
            guard rule.priority == nil || priorityDone == nil else { continue }
            if let priority = rule.priority { priorityDone = priority }
            let value: Double? = rule.kind == .loss ? (round.lossPercent ?? 0) : round.medianMilliseconds
            edges.append(AlertEdge(rule: rule, kind: kind, time: round.time, value: value, raisedAt: raisedAt))
        }
        // Rules no longer configured for the target keep no state.
        if rules.count > ruleSet.rules.count {
            let names = Set(ruleSet.rules.map(\.name))
            rules = rules.filter { names.contains($0.key) }
        }
        return edges
    }
}

extension AlertValue: Codable {
    /// A number, `null` (unknown) or `"S"`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .unknown
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if try container.decode(String.self) == "S" {
            self = .start
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "an alert history value is a number, null or \"S\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .start: try container.encode("S")
        case .unknown: try container.encodeNil()
        case .number(let number): try container.encode(number)
        }
    }
}
