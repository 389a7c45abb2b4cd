import Foundation
import Synchronization
import TargetStore
import Telemetry
public import EventModel
public import PipelineRuntime

public final class PostgresJoin: Transform {
    let configuration: PostgresJoinConfiguration
    public let cache: MetadataCache
    let refresher: MetadataRefresher
    /// Per snapshot, each target's tags to add, already sorted: the hot path only merges.
    let prepared = Mutex<(generation: Int, tags: [[Point.Tag]])>((-1, []))

    init(configuration: PostgresJoinConfiguration, cache: MetadataCache, refresher: MetadataRefresher) {
        self.configuration = configuration
        self.cache = cache
        self.refresher = refresher
    }

    func preparedTags(for snapshot: MetadataSnapshot) -> [[Point.Tag]] {
        if let tags = prepared.withLock({ $0.generation == snapshot.generation ? $0.tags : nil }) { return tags }
        // configuration.tags is sorted by tag name, so each list comes out sorted.
        let tags = snapshot.targets.map { record in
            configuration.tags.compactMap { column, tag in
                Self.value(of: column, in: record).flatMap { $0.isEmpty ? nil : Point.Tag(tag, $0) }
            }
        }
        prepared.withLock { $0 = (snapshot.generation, tags) }
        return tags
    }

    public func run(context: StageContext, input: StageInput, output: StageOutput) async throws {
        await refresher.restoreSavedSnapshot()
        let (ready, readySignal) = AsyncStream.makeStream(of: Void.self)
        let refresh = Task { [refresher] in await refresher.run { readySignal.yield(()); readySignal.finish() } }
        defer { refresh.cancel() }
        // Wait for the first load (bounded by the connect timeout), so the first points are enriched.
        for await _ in ready { break }
        var lastStaleLog = ContinuousClock.now
        var unknownSeen: Set<String> = []
        let unknownCount = context.metrics.counter(.unknownTargets)
        registerMetrics(context)
        var waitingLogged = false
        for await var batch in input {
            context.counters.add(received: batch.points.count)
            // With `unknown: drop` and no snapshot at all (first start, database down), every
            // point would be dropped and acknowledged as if delivered: hold the input instead.
            while configuration.unknown == .drop && cache.current.snapshot == nil {
                if !waitingLogged {
                    context.logger.warning("no metadata snapshot yet and unknown: drop: holding points until the database answers")
                    waitingLogged = true
                }
                do {
                    try await Task.sleep(for: .milliseconds(250))
                } catch {
                    batch.acknowledge(.failed)
                    throw error
                }
            }
            let state = cache.current
            if state.staleSince != nil, ContinuousClock.now - lastStaleLog >= .seconds(300), let snapshot = state.snapshot {
                context.logger.warning("metadata still stale: snapshot is \(Int(Date().timeIntervalSince1970 - snapshot.loadedAt)) s old")
                lastStaleLog = .now
            }
            let before = batch.points.count
            let unknownKeys = apply(state, to: &batch.points)
            if !unknownKeys.isEmpty { unknownCount.increment(by: Int64(unknownKeys.count)) }
            for key in unknownKeys where unknownSeen.count < 1000 && unknownSeen.insert(key).inserted {
                // Once per name: a target missing from the store is a configuration gap, not noise.
                let what = key.isEmpty ? "points without a '\(configuration.matchTag)' tag" : "'\(key)'"
                context.logger.warning("no target \(what) in the metadata (\(configuration.unknown.rawValue)); logged once")
            }
            context.counters.add(dropped: before - batch.points.count, reason: .filtered)
            if batch.points.isEmpty {
                batch.acknowledge(.delivered)
            } else {
                try await output.send(batch)
            }
        }
    }

    /// The snapshot's age and stale flag, read when scraped; not ready while there is no
    /// snapshot or it is stale (the configuration store unreachable past `max_staleness`).
    func registerMetrics(_ context: StageContext) {
        let age = context.metrics.gauge(.snapshotAge)
        let stale = context.metrics.gauge(.snapshotStale)
        context.metrics.onCollect { [cache] in
            let state = cache.current
            age.set(state.snapshot.map { max(0, Date().timeIntervalSince1970 - $0.loadedAt) } ?? 0)
            stale.set(state.staleSince == nil ? 0 : 1)
        }
        context.health.register(context.id) { [cache] in
            let state = cache.current
            guard let snapshot = state.snapshot else { return .notReady("no target metadata loaded yet (the configuration store has not answered)") }
            guard state.staleSince == nil else {
                return .notReady("target metadata stale: \(Int(Date().timeIntervalSince1970 - snapshot.loadedAt)) s old, the configuration store unreachable")
            }
            return .ready
        }
    }

    /// Enriches, drops inactive and (per configuration) unknown targets' points; returns the
    /// keys that matched no target (empty on the fast path).
    @discardableResult
    public func apply(_ state: MetadataCache.State, to points: inout [Point]) -> [String] {
        let snapshot = state.snapshot
        let prepared = snapshot.map(preparedTags) ?? []
        let stale = state.staleSince != nil ? configuration.staleField : nil
        var unknownKeys: [String] = []
        var kept = 0
        for index in points.indices {
            var point = points[index]
            if enrich(&point, snapshot: snapshot, prepared: prepared, stale: stale, unknownKeys: &unknownKeys) {
                points[kept] = point
                kept += 1
            }
        }
        points.removeLast(points.count - kept)
        return unknownKeys
    }

    /// Returns whether to keep the point.
    @inline(__always)
    func enrich(
        _ point: inout Point, snapshot: MetadataSnapshot?, prepared: [[Point.Tag]], stale: String?, unknownKeys: inout [String]
    ) -> Bool {
        guard let key = point.tag(configuration.matchTag) else {
            unknownKeys.append("")
            return !unknown(&point)
        }
        let found = configuration.match == .name ? snapshot?.byName[key] : snapshot?.byHost[key]
        guard let snapshot, let found else {
            unknownKeys.append(key)
            return !unknown(&point)
        }
        if !snapshot.targets[found].isActive { return false }
        point.mergeTags(prepared[found])
        if let stale {
            if let index = point.fields.firstIndex(where: { $0.key == stale }) {
                point.fields[index].value = .bool(true)
            } else {
                point.fields.append(Point.Field(stale, .bool(true)))
            }
        }
        return true
    }

    /// Returns whether to drop the point.
    func unknown(_ point: inout Point) -> Bool {
        switch configuration.unknown {
        case .pass: return false
        case .drop: return true
        case .tag:
            point.setTag(configuration.unknownTag, "unknown")
            return false
        }
    }

    @inline(__always)
    static func value(of column: String, in record: TargetRecord) -> String? {
        switch column {
        case "category": record.category
        case "site": record.site
        case "cachegroup": record.cachegroup
        case "title": record.title
        case "probe": record.probe
        case "alerts": record.alerts
        default: nil
        }
    }
}
