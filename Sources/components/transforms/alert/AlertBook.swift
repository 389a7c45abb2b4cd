import Alerting
import Foundation
import Logging
import PipelineConfig
import Synchronization
import EventModel
import PipelineRuntime

/// The alert transform's state: every target's `TargetAlertState` and the outbox, in memory
/// behind one lock, saved as one checkpoint document. Batches are evaluated under the lock and
/// their acknowledgements held until a save includes them, so a source only moves past rounds
/// whose edges are durable; notifiers only take entries a save has included, so a crash
/// can lose neither an edge nor its notification (see README.md, Durability).
final class AlertBook: Sendable {
    struct State {
        var document = AlertStateDocument()
        /// Per target key, its rules (resolved again when its category or `alerts` tag changes).
        var ruleSets: [String: (category: String?, alerts: String?, rules: AlertRuleSet)] = [:]
        /// Rule names an `alerts` tag gave that no rule has: each logged once.
        var unknownRuleNames: Set<String> = []
        /// Entries with a lower sequence are saved and may be delivered.
        var savedBefore: UInt64 = 0
        var dirty = false
        var held: [Acknowledgement] = []
        var lastSaveFailureLog: ContinuousClock.Instant?
    }

    let rules: [String: AlertRule]
    let targets: [(glob: Glob, rules: [String])]
    let alertsTag: String
    let notifiers: [String]
    let queueSize: Int
    let storage: (any CheckpointStorage)?
    let documentName: String
    let counters: AlertCounters
    let logger: Logger
    let state = Mutex(State())
    private let saverWakes: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)
    private let notifierWakes: [String: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)]
    /// Saves run one after another: each chains onto the previous one.
    private let lastSave = Mutex<Task<Void, Never>?>(nil)

    init(
        rules: [AlertRule], targets: [(glob: Glob, rules: [String])], alertsTag: String = "alerts", notifiers: [String], queueSize: Int,
        storage: (any CheckpointStorage)?, documentName: String, counters: AlertCounters, logger: Logger
    ) {
        self.rules = Dictionary(rules.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.targets = targets
        self.alertsTag = alertsTag
        self.notifiers = notifiers
        self.queueSize = queueSize
        self.storage = storage
        self.documentName = documentName
        self.counters = counters
        self.logger = logger
        saverWakes = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        notifierWakes = Dictionary(uniqueKeysWithValues: notifiers.map { ($0, AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))) })
    }

    // MARK: Loading

    /// Restores the saved document; one that cannot be read is an error naming it and how to
    /// start afresh, never silently replaced (that would re-raise or lose open episodes).
    func load() async throws {
        guard let storage else {
            logger.warning("no state_dir or checkpoints: alert state and undelivered notifications are not kept across restarts")
            return
        }
        guard let data = try await storage.load(documentName) else { return }
        let afresh = "every target's rules start clear, undelivered notifications are dropped"
        let document: AlertStateDocument
        do {
            document = try JSONDecoder().decode(AlertStateDocument.self, from: data)
        } catch {
            throw CheckpointStorageError.unusable(documentName, in: storage, "not an alert state document", afresh: afresh)
        }
        guard document.version == AlertStateDocument.currentVersion else {
            throw CheckpointStorageError.unusable(documentName, in: storage, "version \(document.version), expected \(AlertStateDocument.currentVersion)", afresh: afresh)
        }
        let dropped = state.withLock { state in
            state.document = document
            state.savedBefore = document.outbox.nextSequence
            return state.document.outbox.keepOnly(Set(notifiers))
        }
        if dropped > 0 { logger.warning("dropped \(dropped) undelivered notifications of notifiers no longer configured") }
    }

    // MARK: Evaluation (the data path)

    /// Evaluates the batch's rounds; when any target's state changed, holds the batch's
    /// acknowledgements until a save includes the change. Never waits for a notifier.
    func evaluate(_ batch: Batch) {
        var raised = 0
        var cleared = 0
        var outcomes = (queued: 0, duplicate: 0, overflow: 0)
        let changed = state.withLock { state -> Bool in
            var changed = false
            for point in batch.points {
                guard let edges = evaluate(point, in: &state, changed: &changed) else { continue }
                for (edge, notification) in edges {
                    if edge.kind == .raised { raised += 1 } else { cleared += 1 }
                    for notifier in notifiers {
                        switch state.document.outbox.enqueue(notification, for: notifier, capacity: queueSize) {
                        case .queued: outcomes.queued += 1
                        case .duplicate: outcomes.duplicate += 1
                        case .overflow: outcomes.overflow += 1
                        }
                    }
                }
            }
            guard changed else { return false }
            state.dirty = true
            if storage == nil {
                state.savedBefore = state.document.outbox.nextSequence
            } else {
                for acknowledgement in batch.acknowledgements { acknowledgement.retain() }
                state.held += batch.acknowledgements
            }
            return true
        }
        counters.raised.add(raised, ordering: .relaxed)
        counters.cleared.add(cleared, ordering: .relaxed)
        counters.queued.add(outcomes.queued, ordering: .relaxed)
        counters.duplicates.add(outcomes.duplicate, ordering: .relaxed)
        counters.overflow.add(outcomes.overflow, ordering: .relaxed)
        guard changed else { return }
        if storage != nil { saverWakes.continuation.yield() } else if outcomes.queued > 0 { wakeNotifiers() }
    }

    /// One point: nil when it is not a round of a target with rules, or is a replay.
    private func evaluate(_ point: Point, in state: inout State, changed: inout Bool) -> [(AlertEdge, AlertNotification)]? {
        guard LatencySchema.Measurement.rounds.contains(point.measurement) else { return nil }
        let tags = AlertPointTags(point, alertsTag: alertsTag)
        guard let path = tags.path ?? tags.target else { return nil }
        let key = tags.slave.map { path + "~" + $0 } ?? path
        let ruleSet: AlertRuleSet
        if let cached = state.ruleSets[key], cached.category == tags.category, cached.alerts == tags.alerts {
            ruleSet = cached.rules
        } else {
            let (resolved, unknown) = resolve(path: path, category: tags.category, alerts: tags.alerts)
            ruleSet = resolved
            state.ruleSets[key] = (tags.category, tags.alerts, ruleSet)
            for name in unknown where state.unknownRuleNames.insert(name).inserted {
                logger.warning("target '\(tags.target ?? path)' names alert rule '\(name)' (its \(alertsTag) tag), which this transform does not define; left out")
            }
        }
        guard !ruleSet.isEmpty else { return nil }
        guard let edges = state.document.targets[key, default: TargetAlertState()].evaluate(AlertRound(point), ruleSet: ruleSet) else {
            return nil
        }
        changed = true
        guard !edges.isEmpty else { return [] }
        return edges.map { edge in
            (edge, AlertNotification(
                key: key, target: tags.target ?? String(path.split(separator: "/").last ?? Substring(path)), path: tags.path,
                title: tags.title, category: tags.category, site: tags.site, rule: edge.rule.name, state: edge.kind,
                value: edge.value, pattern: edge.rule.pattern.text, comment: edge.rule.comment, timeNanoseconds: edge.time))
        }
    }

    /// The rules of every `targets` glob that matches the path or the category, in file order,
    /// then those the round's `alerts` tag names (the store's column); and the names of the
    /// tag no rule has.
    func resolve(path: String, category: String?, alerts: String? = nil) -> (rules: AlertRuleSet, unknown: [String]) {
        var names: [String] = []
        for (glob, rules) in targets where glob.matches(path) || category.map(glob.matches) == true {
            names += rules
        }
        var unknown: [String] = []
        for name in (alerts ?? "").split(separator: ",").map(String.init) {
            if rules[name] == nil { unknown.append(name) } else { names.append(name) }
        }
        return (AlertRuleSet(names.compactMap { rules[$0] }), unknown)
    }

    // MARK: Saving

    /// At most one save a second while rounds stream in: the document holds every target, and
    /// a second is what a held acknowledgement or a new notification waits at most.
    static let saveInterval = Duration.seconds(1)

    /// Saves until the stream ends or the task is cancelled, whenever something changed.
    func saveLoop() async {
        for await _ in saverWakes.stream {
            let saved = await save()
            // A backend that fails is tried again after the pause, not in a tight loop.
            do { try await Task.sleep(for: Self.saveInterval) } catch { return }
            if !saved { saverWakes.continuation.yield() }
        }
    }

    /// Saves the current state if it changed (after any save in progress); returns false when
    /// the backend failed.
    @discardableResult
    func save() async -> Bool {
        let task = lastSave.withLock { previous -> Task<Bool, Never> in
            let before = previous
            let task = Task { () -> Bool in
                await before?.value
                return await self.saveNow()
            }
            previous = Task { _ = await task.value }
            return task
        }
        return await task.value
    }

    private func saveNow() async -> Bool {
        guard let storage else { return true }
        let (document, held, sequence) = state.withLock { state -> (AlertStateDocument?, [Acknowledgement], UInt64) in
            guard state.dirty else { return (nil, [], 0) }
            state.dirty = false
            defer { state.held = [] }
            return (state.document, state.held, state.document.outbox.nextSequence)
        }
        guard let document else { return true }
        do {
            let data = try JSONEncoder().encode(document)
            try await storage.save(documentName, data)
        } catch {
            let log = state.withLock { state in
                state.dirty = true
                let now = ContinuousClock.now
                guard state.lastSaveFailureLog.map({ now - $0 >= .seconds(60) }) ?? true else { return false }
                state.lastSaveFailureLog = now
                return true
            }
            if log { logger.error("cannot save the alert state to \(storage.location(of: documentName)): \(error); retrying (logged once a minute)") }
            for acknowledgement in held { acknowledgement.release(.failed) }
            return false
        }
        state.withLock { $0.savedBefore = max($0.savedBefore, sequence) }
        for acknowledgement in held { acknowledgement.release(.delivered) }
        wakeNotifiers()
        return true
    }

    // MARK: Delivery

    func wakeNotifiers() {
        for (_, wake) in notifierWakes { wake.continuation.yield() }
    }

    func wakes(for notifier: String) -> AsyncStream<Void> {
        notifierWakes[notifier]?.stream ?? AsyncStream { $0.finish() }
    }

    /// The oldest saved entry of `notifier`, if any.
    func next(for notifier: String) -> AlertOutbox.Entry? {
        state.withLock { $0.document.outbox.deliverable(for: notifier, savedBefore: $0.savedBefore) }
    }

    /// The entry was delivered or given up: it leaves the outbox (saved with the next save).
    func finish(_ entry: AlertOutbox.Entry, for notifier: String) {
        state.withLock { state in
            state.document.outbox.finish(entry.sequence, for: notifier)
            state.dirty = true
        }
        if storage != nil { saverWakes.continuation.yield() }
    }

    var undelivered: Int { state.withLock { $0.document.outbox.count } }

    /// Ends the saver's and the notifiers' waits (the transform is done).
    func close() {
        saverWakes.continuation.finish()
        for (_, wake) in notifierWakes { wake.continuation.finish() }
    }
}
