import TargetStore
import Foundation
public import Logging
import NIOPosix
import Postgres
public import PipelineRuntime
import Synchronization

/// Keeps a `MetadataCache` current. From PostgreSQL: a full load, then `LISTEN
/// smokeflow_metadata` (the schema's triggers notify on every change) plus a periodic full
/// refresh; when the database goes away, the cache keeps its last snapshot, the outage is
/// logged once, and reconnection backs off up to 30 s. From a targets file: reloaded when it
/// changes. Good loads are saved (state directory) so a restart without the database starts
/// from them: at most one save per `snapshotSaveInterval`, the newest load last, so a flood of
/// NOTIFYs (each a full reload) is not a flood of fsynced writes.
public struct MetadataRefresher: Sendable {
    public enum Origin: Sendable {
        case database(connectionString: String)
        case file(path: String)
    }

    let origin: Origin
    let cache: MetadataCache
    let refreshInterval: Duration
    let snapshotStorage: (any CheckpointStorage)?
    let snapshotName: String
    let logger: Logger
    let saves: CoalescedSaves<MetadataSnapshot>
    /// How long the `LISTEN` connection may stay silent before a `SELECT 1` checks that the
    /// server is still there: a half-open connection (a partition, a proxy that stopped
    /// forwarding) delivers no error and no notification, and the ping then fails at the
    /// connection's query deadline.
    let livenessInterval: Duration

    public init(
        origin: Origin, cache: MetadataCache, refreshInterval: Duration, snapshotStorage: (any CheckpointStorage)?,
        snapshotName: String, logger: Logger, snapshotSaveInterval: Duration = .seconds(10), livenessInterval: Duration = .seconds(10)
    ) {
        saves = CoalescedSaves(interval: snapshotSaveInterval)
        self.livenessInterval = livenessInterval
        self.origin = origin
        self.cache = cache
        self.refreshInterval = refreshInterval
        self.snapshotStorage = snapshotStorage
        self.snapshotName = snapshotName
        self.logger = logger
    }

    /// The snapshot saved by an earlier run, if any, so points are enriched before the origin answers.
    public func restoreSavedSnapshot() async {
        guard let snapshotStorage, let data = try? await snapshotStorage.load(snapshotName) else { return }
        guard let snapshot = try? JSONDecoder().decode(MetadataSnapshot.self, from: data) else {
            logger.warning("saved metadata snapshot \(snapshotName) in \(snapshotStorage) is unreadable; ignored")
            return
        }
        cache.replace(snapshot)
        cache.markStale(at: Date(timeIntervalSince1970: snapshot.loadedAt))
    }

    /// Runs until cancelled; `ready` is called once, after the first attempt to load.
    public func run(ready: @Sendable () -> Void) async {
        switch origin {
        case .database(let connectionString): await followDatabase(connectionString, ready: ready)
        case .file(let path): await followFile(path, ready: ready)
        }
    }

    func followDatabase(_ connectionString: String, ready: @Sendable () -> Void) async {
        var backoff = Duration.milliseconds(250)
        var announced = false
        func announce() { if !announced { announced = true; ready() } }
        while !Task.isCancelled {
            var connection: PostgresConnection?
            do {
                let current = try await PostgresConnection.connect(connectionString)
                connection = current
                try await current.listen("smokeflow_metadata")
                let wasStale = cache.current.staleSince
                try await load(from: current)
                if let wasStale { logger.notice("metadata database reachable again after \(Int(Date().timeIntervalSince(wasStale))) s; refreshed") }
                announce()
                backoff = .milliseconds(250)
                var lastFull = ContinuousClock.now
                // Changes notified since the last load: reloaded at most once a second.
                var notified = false
                var lastAnswer = ContinuousClock.now
                while !Task.isCancelled {
                    let notifications = try await current.notifications(waitingUpTo: .milliseconds(250))
                    if !notifications.isEmpty { lastAnswer = .now }
                    notified = notified || !notifications.isEmpty
                    let sinceLoad = ContinuousClock.now - lastFull
                    if notified && sinceLoad >= .seconds(1) || sinceLoad >= refreshInterval {
                        try await load(from: current)
                        lastFull = .now
                        lastAnswer = .now
                        notified = false
                    } else if ContinuousClock.now - lastAnswer >= livenessInterval {
                        try await current.query("SELECT 1")
                        lastAnswer = .now
                    }
                }
            } catch {
                if Task.isCancelled {
                    await connection?.close()
                    return
                }
                if cache.markStale() {
                    let age = cache.current.snapshot.map { "serving the snapshot loaded \(Int(Date().timeIntervalSince1970 - $0.loadedAt)) s ago" }
                        ?? "no snapshot yet"
                    logger.warning("metadata database unreachable (\(error)); \(age); retrying in the background")
                }
                announce()
            }
            await connection?.close()
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(30))
        }
    }

    func load(from connection: PostgresConnection) async throws {
        let snapshot = MetadataSnapshot(targets: try await MetadataStore(connection: connection).targets())
        cache.replace(snapshot)
        await save(snapshot)
    }

    func followFile(_ path: String, ready: @Sendable () -> Void) async {
        var loadedModification: Date?
        var announced = false
        while !Task.isCancelled {
            // File system calls block: keep them off the cooperative pool.
            let modified = try? await NIOThreadPool.singleton.runIfActive {
                (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            }
            if modified != loadedModification {
                do {
                    let file = try await NIOThreadPool.singleton.runIfActive { try TargetFile.read(path: path) }
                    let snapshot = MetadataSnapshot(targets: file.entries.map(\.record))
                    cache.replace(snapshot)
                    await save(snapshot)
                    loadedModification = modified
                    logger.info("loaded \(snapshot.targets.count) targets from \(path)")
                } catch {
                    // Keep serving the last good list; say what is wrong once per change.
                    loadedModification = modified
                    cache.markStale()
                    logger.error("\(error)")
                }
            }
            if !announced { announced = true; ready() }
            try? await Task.sleep(for: min(refreshInterval, .seconds(1)))
        }
    }

    /// Saves `snapshot` now, or (within `snapshotSaveInterval` of the last save) the newest one
    /// offered by then, once the interval has passed.
    func save(_ snapshot: MetadataSnapshot) async {
        guard snapshotStorage != nil else { return }
        switch saves.offer(snapshot) {
        case .now:
            await write(snapshot)
        case .later(let delay):
            Task { [self] in
                try? await Task.sleep(for: delay)
                if let newest = saves.takePending() { await write(newest) }
            }
        case .queued:
            break
        }
    }

    func write(_ snapshot: MetadataSnapshot) async {
        guard let snapshotStorage, let data = try? JSONEncoder().encode(snapshot) else { return }
        do { try await snapshotStorage.save(snapshotName, data) } catch { logger.warning("cannot save the metadata snapshot: \(error)") }
    }
}

/// At most one save per `interval`: the first at once, later ones folded into one trailing save
/// of the newest value when the interval has passed.
final class CoalescedSaves<Value: Sendable>: Sendable {
    enum Decision { case now, later(Duration), queued }

    private struct State {
        var lastSave: ContinuousClock.Instant?
        var pending: Value?
        var scheduled = false
    }

    let interval: Duration
    private let state = Mutex(State())

    init(interval: Duration) { self.interval = interval }

    func offer(_ value: Value) -> Decision {
        state.withLock { state in
            let now = ContinuousClock.now
            if state.scheduled {
                state.pending = value
                return .queued
            }
            if let last = state.lastSave, now - last < interval {
                state.pending = value
                state.scheduled = true
                return .later(last + interval - now)
            }
            state.lastSave = now
            return .now
        }
    }

    /// The value to save for a trailing save, now counted as saved.
    func takePending() -> Value? {
        state.withLock { state in
            defer { state.pending = nil }
            state.scheduled = false
            state.lastSave = ContinuousClock.now
            return state.pending
        }
    }
}
