/// The notifications not yet delivered, one bounded queue per notifier, saved with the targets'
/// alert state in one document (`AlertStateDocument`): an edge and its notifications become
/// durable together. Entries get increasing sequence numbers; a notifier takes only entries
/// already saved (`deliverable(for:savedBefore:)`), so nothing is sent that a crash could
/// take back. Delivered identities are remembered (the last `rememberedLimit`), so an edge
/// enqueued twice is sent once.
public struct AlertOutbox: Sendable, Codable {
    public struct Entry: Sendable, Hashable, Codable {
        public var sequence: UInt64
        public var notification: AlertNotification
    }

    public private(set) var queues: [String: [Entry]] = [:]
    public private(set) var nextSequence: UInt64 = 0
    /// Delivered (or given up) identities, oldest first.
    private var remembered: [AlertNotification.Identity] = []
    private var rememberedSet: Set<AlertNotification.Identity> = []
    public static let rememberedLimit = 4096

    public init() {}

    enum CodingKeys: String, CodingKey { case queues, nextSequence, remembered }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        queues = try container.decode([String: [Entry]].self, forKey: .queues)
        nextSequence = try container.decode(UInt64.self, forKey: .nextSequence)
        remembered = try container.decode([AlertNotification.Identity].self, forKey: .remembered)
        rememberedSet = Set(remembered)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(queues, forKey: .queues)
        try container.encode(nextSequence, forKey: .nextSequence)
        try container.encode(remembered, forKey: .remembered)
    }

    public enum Outcome: Sendable, Equatable { case queued, duplicate, overflow }

    /// Queues `notification` for `notifier`, unless that queue holds `capacity` entries already
    /// or the same identity is queued or was delivered.
    public mutating func enqueue(_ notification: AlertNotification, for notifier: String, capacity: Int) -> Outcome {
        let identity = notification.identity
        if rememberedSet.contains(identity) { return .duplicate }
        var queue = queues[notifier] ?? []
        if queue.contains(where: { $0.notification.identity == identity }) { return .duplicate }
        guard queue.count < capacity else { return .overflow }
        queue.append(Entry(sequence: nextSequence, notification: notification))
        nextSequence += 1
        queues[notifier] = queue
        return .queued
    }

    /// The oldest entry for `notifier` whose sequence is below `savedBefore` (saved already).
    public func deliverable(for notifier: String, savedBefore: UInt64) -> Entry? {
        guard let first = queues[notifier]?.first, first.sequence < savedBefore else { return nil }
        return first
    }

    /// The entry is done (delivered, or given up after its retries): it leaves the queue and its
    /// identity is remembered.
    public mutating func finish(_ sequence: UInt64, for notifier: String) {
        guard var queue = queues[notifier], let index = queue.firstIndex(where: { $0.sequence == sequence }) else { return }
        let identity = queue.remove(at: index).notification.identity
        queues[notifier] = queue.isEmpty ? nil : queue
        if rememberedSet.insert(identity).inserted {
            remembered.append(identity)
            if remembered.count > Self.rememberedLimit { rememberedSet.remove(remembered.removeFirst()) }
        }
    }

    /// Queues of notifiers no longer configured are dropped; returns how many entries went.
    public mutating func keepOnly(_ notifiers: Set<String>) -> Int {
        var dropped = 0
        for (name, queue) in queues where !notifiers.contains(name) {
            dropped += queue.count
            queues[name] = nil
        }
        return dropped
    }

    public var count: Int { queues.values.reduce(0) { $0 + $1.count } }
}

/// The alert transform's checkpoint document: every target's state and the outbox, replaced
/// together in one atomic save.
public struct AlertStateDocument: Sendable, Codable {
    public static let currentVersion = 1
    public var version = AlertStateDocument.currentVersion
    public var targets: [String: TargetAlertState] = [:]
    public var outbox = AlertOutbox()

    public init() {}
}
