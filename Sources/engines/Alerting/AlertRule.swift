/// One detector of SmokePing's `*** Alerts ***` section (`+name` with type, pattern, comment,
/// edgetrigger, priority).
public struct AlertRule: Sendable, Hashable {
    public let name: String
    public let pattern: AlertPattern
    public let comment: String
    /// Notify when the pattern starts matching and when it stops (else every matching round).
    public let edgeTrigger: Bool
    /// SmokePing's `priority`: of a target's rules with a priority, only the first (lowest
    /// number) that has something to send in a round sends it; rules without one always send.
    public let priority: Int?

    public var kind: AlertKind { pattern.kind }

    public init(name: String, pattern: AlertPattern, comment: String = "", edgeTrigger: Bool = false, priority: Int? = nil) {
        self.name = name
        self.pattern = pattern
        self.comment = comment
        self.edgeTrigger = edgeTrigger
        self.priority = priority
    }
}

/// The rules of one target in the order `check_alerts` runs them (by priority, no priority
/// counting as 0, ties in the order given), and how many rounds the target keeps.
public struct AlertRuleSet: Sendable, Hashable {
    public let rules: [AlertRule]
    /// SmokePing's `fetchlength`: the largest `maxLength` of the rules.
    public let historyLength: Int

    public init(_ rules: [AlertRule]) {
        var seen: Set<String> = []
        let unique = rules.filter { seen.insert($0.name).inserted }
        self.rules = unique.enumerated().sorted { lhs, rhs in
            let (left, right) = (lhs.element.priority ?? 0, rhs.element.priority ?? 0)
            return left != right ? left < right : lhs.offset < rhs.offset
        }.map(\.element)
        historyLength = unique.map(\.pattern.maxLength).max() ?? 0
    }

    public var isEmpty: Bool { rules.isEmpty }
}
