import TargetStore
public import Foundation
import Synchronization

/// The join's current snapshot and whether it is stale (its origin unreachable since).
public final class MetadataCache: Sendable {
    public struct State: Sendable {
        public var snapshot: MetadataSnapshot?
        /// Set while the database is unreachable: the snapshot is served as it was.
        public var staleSince: Date?
    }

    private let state = Mutex(State())

    public init() {}

    public var current: State { state.withLock { $0 } }

    public func replace(_ snapshot: MetadataSnapshot) {
        state.withLock {
            $0.snapshot = snapshot
            $0.staleSince = nil
        }
    }

    /// Marks the outage's start; returns true the first time (so it is logged once).
    @discardableResult
    public func markStale(at date: Date = Date()) -> Bool {
        state.withLock { state in
            guard state.staleSince == nil else { return false }
            state.staleSince = date
            return true
        }
    }
}
