import Synchronization

/// Turns out-of-order acknowledgements into in-order position commits.
///
/// A source that keeps positions (an RRD tail reader, a job checkpoint) registers each batch's
/// position as it sends it; `commit` is called with the newest position whose batch and every
/// earlier batch came back delivered or rejected. A failed batch stops commits at the position
/// before it, so a restart re-reads from there.
public final class OrderedCommits<Position: Sendable>: Sendable {
    private struct State {
        var nextSequence = 0
        var firstUnresolved = 0
        var outcomes: [Int: (Position, DeliveryStatus)] = [:]
        var blocked = false
    }

    private let state = Mutex(State())
    private let commit: @Sendable (Position) -> Void

    public init(commit: @escaping @Sendable (Position) -> Void) {
        self.commit = commit
    }

    /// Whether a failed batch stopped the commits: later positions can never be committed by
    /// this instance, so its owner reads the data again from the last committed position.
    public var isBlocked: Bool { state.withLock { $0.blocked } }

    /// The acknowledgement to attach to the batch that ends at `position`.
    public func acknowledgement(for position: Position) -> Acknowledgement {
        let sequence = state.withLock { state in
            defer { state.nextSequence += 1 }
            return state.nextSequence
        }
        return Acknowledgement { [self] status in self.resolve(sequence, position, status) }
    }

    private func resolve(_ sequence: Int, _ position: Position, _ status: DeliveryStatus) {
        let toCommit: Position? = state.withLock { state in
            state.outcomes[sequence] = (position, status)
            var newest: Position?
            while !state.blocked, let (position, status) = state.outcomes.removeValue(forKey: state.firstUnresolved) {
                if status == .failed {
                    state.blocked = true
                    break
                }
                newest = position
                state.firstUnresolved += 1
            }
            return newest
        }
        if let toCommit { commit(toCommit) }
    }
}
