/// One rule's state for one target: SmokePing's `prevmatch` as an explicit state machine (in
/// swift-nio's style: each event returns the action to take, and the caller takes it).
public struct AlertRuleState: Sendable, Hashable, Codable {
    public enum State: Sendable, Hashable, Codable {
        /// The pattern did not match the last round (`prevmatch` 0).
        case clear
        /// It has matched `rounds` rounds in a row, the first at `since` (ns).
        case matching(since: Int64, rounds: Int)
    }

    /// What a round's evaluation asks the caller to send.
    public enum Action: Sendable, Hashable {
        case none
        /// Edge-triggered: the pattern started matching (SmokePing: "was raised").
        case raise
        /// Edge-triggered: it stopped matching; `since` is when it was raised.
        case clear(since: Int64)
        /// Not edge-triggered: it matches this round (SmokePing: "is active").
        case active
    }

    public private(set) var state: State = .clear

    public init(_ state: State = .clear) { self.state = state }

    /// The round at `time` was evaluated: `matched` is the pattern's answer.
    public mutating func round(matched: Bool, at time: Int64, edgeTriggered: Bool) -> Action {
        switch (state, matched) {
        case (.clear, false):
            return .none
        case (.clear, true):
            state = .matching(since: time, rounds: 1)
            return edgeTriggered ? .raise : .active
        case (.matching(let since, let rounds), true):
            state = .matching(since: since, rounds: rounds + 1)
            return edgeTriggered ? .none : .active
        case (.matching(let since, _), false):
            state = .clear
            return edgeTriggered ? .clear(since: since) : .none
        }
    }
}
