import EventModel
import Foundation
public import Logging
import NIOPosix
public import Postgres
import PipelineRuntime
import Synchronization

/// The store as the API sees it. Reads go to the store; when the database cannot be reached
/// they are answered from the last snapshot, marked stale (kept in memory and in
/// `snapshotPath`, so a restart during an outage still answers). Writes never fall back:
/// they fail with `StoreUnavailable` (503). The mode never changes while the server runs.
public actor StoreGateway {
    public nonisolated let store: any ConfigStore
    nonisolated let snapshotPath: String?
    let logger: Logger
    private(set) var lastSnapshot: StoreSnapshot?
    /// One element per write that changed the store (the publisher regenerates).
    public nonisolated let changes: AsyncStream<Void>
    private nonisolated let changed: AsyncStream<Void>.Continuation
    /// Whether the last call reached the store, for `/status`.
    public private(set) var reachable = true
    /// `reachable`, readable without awaiting the actor (readiness checks).
    private nonisolated let reachableNow = Atomic<Bool>(true)
    public nonisolated var isReachable: Bool { reachableNow.load(ordering: .relaxed) }
    public private(set) var lastError: String?

    public init(store: any ConfigStore, snapshotPath: String?, logger: Logger) {
        self.store = store
        self.snapshotPath = snapshotPath
        self.logger = logger
        (changes, changed) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public nonisolated var mode: StoreMode { store.mode }

    /// Loads the snapshot saved by an earlier run, for stale reads before the first good read.
    public func loadSavedSnapshot() async {
        guard let snapshotPath, lastSnapshot == nil else { return }
        let data = try? await NIOThreadPool.singleton.runIfActive { try Data(contentsOf: URL(fileURLWithPath: snapshotPath)) }
        if let data, let snapshot = try? JSONDecoder().decode(StoreSnapshot.self, from: data) { lastSnapshot = snapshot }
    }

    /// A fresh snapshot, or the last one marked stale when the store cannot be reached.
    public func snapshot() async throws -> (snapshot: StoreSnapshot, stale: Bool) {
        do {
            let snapshot = try await store.snapshot()
            markReachable()
            if snapshot != lastSnapshot {
                lastSnapshot = snapshot
                await save(snapshot)
            }
            return (snapshot, false)
        } catch where Self.isUnreachable(error) {
            markUnreachable(error)
            guard let lastSnapshot else { throw StoreUnavailable("the database is unreachable and no earlier snapshot exists") }
            return (lastSnapshot, true)
        }
    }

    /// The categories and probes, from the last snapshot when the store cannot be reached.
    public func catalog() async throws -> StoreSnapshot {
        do {
            let catalog = try await store.catalog()
            markReachable()
            return catalog
        } catch where Self.isUnreachable(error) {
            markUnreachable(error)
            guard let lastSnapshot else { throw StoreUnavailable("the database is unreachable and no earlier snapshot exists") }
            return StoreSnapshot(categories: lastSnapshot.categories, probes: lastSnapshot.probes)
        }
    }

    public func targets(matching query: TargetQuery) async throws -> TargetPage {
        do {
            let page = try await store.targets(matching: query)
            markReachable()
            return page
        } catch where Self.isUnreachable(error) {
            markUnreachable(error)
            guard let lastSnapshot else { throw StoreUnavailable("the database is unreachable and no earlier snapshot exists") }
            let (targets, total) = query.page(of: lastSnapshot.targets)
            return TargetPage(targets: targets, total: total, stale: true)
        }
    }

    public func apply(_ operations: [StoreOperation]) async throws -> [OperationResult] {
        let results: [OperationResult]
        do {
            results = try await store.apply(operations)
            markReachable()
        } catch where Self.isUnreachable(error) {
            markUnreachable(error)
            throw StoreUnavailable("the database is unreachable; nothing was written")
        }
        changed.yield()
        return results
    }

    /// A connection that failed or broke; pool exhaustion is busy, not unreachable.
    static func isUnreachable(_ error: any Error) -> Bool {
        if let error = error as? PostgresError {
            // 57P01–57P03: the server is shutting down or starting.
            return error.kind == .connection || error.sqlState?.hasPrefix("57P") == true
        }
        return false
    }

    private func markReachable() {
        if !reachable { logger.notice("store reachable again", metadata: ["mode": "\(mode.rawValue)"]) }
        reachable = true
        reachableNow.store(true, ordering: .relaxed)
        lastError = nil
    }

    private func markUnreachable(_ error: any Error) {
        if reachable { logger.error("store unreachable; reads answer from the last snapshot (stale), writes get 503", metadata: ["error": "\(error)"]) }
        reachable = false
        reachableNow.store(false, ordering: .relaxed)
        lastError = "\(error)"
    }

    private func save(_ snapshot: StoreSnapshot) async {
        guard let snapshotPath, let data = try? JSONEncoder().encode(snapshot) else { return }
        do {
            try await DurableFile.replace(snapshotPath, with: Array(data))
        } catch {
            logger.warning("cannot save the store snapshot", metadata: ["path": "\(snapshotPath)", "error": "\(error)"])
        }
    }
}
