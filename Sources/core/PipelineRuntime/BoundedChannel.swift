public import EventModel
import Synchronization

/// The bounded, multi-producer single-consumer queue between two stages.
///
/// At most `capacity` batches wait in it, plus one batch held by each suspended producer, so a
/// slow consumer suspends its producers and memory stays bounded. It ends when every producer
/// has finished. When the consumer closes it (it failed or was cancelled), buffered and later
/// batches are acknowledged as failed instead of blocking their producers forever.
public final class BoundedChannel: Sendable {
    private struct Waiter {
        var id: UInt64
        var batch: Batch
        var continuation: CheckedContinuation<Bool, any Error>
    }

    private struct State {
        var buffer: [Batch] = []
        var head = 0
        var producers: Int
        var closed = false
        var receiver: CheckedContinuation<Batch?, Never>?
        /// Set while the waiting receiver has a deadline; a timeout resumes it with `timedOut`.
        var receiverID: UInt64 = 0
        var timedOut = false
        var senders: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var receiverCancelled = false

        var bufferedCount: Int { buffer.count - head }

        mutating func popBuffered() -> Batch? {
            guard head < buffer.count else { return nil }
            let batch = buffer[head]
            head += 1
            if head > 64 && head * 2 > buffer.count {
                buffer.removeFirst(head)
                head = 0
            }
            return batch
        }
    }

    public let capacity: Int
    private let state: Mutex<State>

    public init(capacity: Int, producers: Int) {
        precondition(capacity >= 1 && producers >= 1)
        self.capacity = capacity
        state = Mutex(State(producers: producers))
    }

    /// Batches waiting in the buffer now (for tests and metrics).
    public var bufferedCount: Int { state.withLock { $0.bufferedCount } }

    /// Hands a batch to the consumer, suspending while the buffer is full.
    /// Returns false (and acknowledges the batch as failed) when the consumer has closed.
    /// Throws `CancellationError` if cancelled while suspended; the batch is then failed too.
    @discardableResult
    public func send(_ batch: Batch) async throws -> Bool {
        enum Action {
            case done(Bool)
            case resumeReceiver(CheckedContinuation<Batch?, Never>)
            case wait(UInt64)
        }
        let action: Action = state.withLock { state in
            if state.closed { return .done(false) }
            if let receiver = state.receiver {
                state.receiver = nil
                return .resumeReceiver(receiver)
            }
            if state.bufferedCount < capacity {
                state.buffer.append(batch)
                return .done(true)
            }
            defer { state.nextWaiterID += 1 }
            return .wait(state.nextWaiterID)
        }
        switch action {
        case .done(let accepted):
            if !accepted { batch.acknowledge(.failed) }
            return accepted
        case .resumeReceiver(let receiver):
            receiver.resume(returning: batch)
            return true
        case .wait(let id):
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Bool, any Error>) in
                    let immediate: Result<Bool, any Error>? = state.withLock { state in
                        if Task.isCancelled { return .failure(CancellationError()) }
                        if state.closed { return .success(false) }
                        if state.bufferedCount < capacity {
                            state.buffer.append(batch)
                            return .success(true)
                        }
                        state.senders.append(Waiter(id: id, batch: batch, continuation: continuation))
                        return nil
                    }
                    if let immediate {
                        if case .success(true) = immediate {} else { batch.acknowledge(.failed) }
                        continuation.resume(with: immediate)
                    }
                }
            } onCancel: {
                let waiter: Waiter? = state.withLock { state in
                    guard let index = state.senders.firstIndex(where: { $0.id == id }) else { return nil }
                    return state.senders.remove(at: index)
                }
                if let waiter {
                    waiter.batch.acknowledge(.failed)
                    waiter.continuation.resume(throwing: CancellationError())
                }
            }
        }
    }

    /// One producer is done; after the last one the consumer sees the end.
    public func producerFinished() {
        let receiver: CheckedContinuation<Batch?, Never>? = state.withLock { state in
            state.producers -= 1
            guard state.producers == 0, state.bufferedCount == 0, state.senders.isEmpty else { return nil }
            defer { state.receiver = nil }
            return state.receiver
        }
        receiver?.resume(returning: nil)
    }

    /// The next batch, or nil once every producer has finished and the buffer is empty
    /// (or the consumer was cancelled).
    public func next() async -> Batch? {
        enum Action {
            case value(Batch?, Waiter?)
            case wait
        }
        let action: Action = state.withLock { state in
            if let batch = state.popBuffered() {
                var resumed: Waiter?
                if !state.senders.isEmpty {
                    resumed = state.senders.removeFirst()
                    state.buffer.append(resumed!.batch)
                }
                return .value(batch, resumed)
            }
            if !state.senders.isEmpty {
                let waiter = state.senders.removeFirst()
                return .value(waiter.batch, waiter)
            }
            if state.producers == 0 || state.closed { return .value(nil, nil) }
            return .wait
        }
        switch action {
        case .value(let batch, let waiter):
            waiter?.continuation.resume(returning: true)
            return batch
        case .wait:
            return await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Batch?, Never>) in
                    let immediate: Batch?? = state.withLock { state in
                        if state.receiverCancelled || Task.isCancelled { return .some(nil) }
                        if let batch = state.popBuffered() { return .some(batch) }
                        if state.producers == 0 || state.closed || state.timedOut { return .some(nil) }
                        state.receiver = continuation
                        return .none
                    }
                    if let immediate { continuation.resume(returning: immediate) }
                }
            } onCancel: {
                let receiver: CheckedContinuation<Batch?, Never>? = state.withLock { state in
                    state.receiverCancelled = true
                    defer { state.receiver = nil }
                    return state.receiver
                }
                receiver?.resume(returning: nil)
            }
        }
    }

    /// What `next(before:)` found.
    public enum Receipt: Sendable {
        case batch(Batch)
        case end
        case timeout
    }

    /// Like `next()`, but gives up at `deadline` (a sink's flush timer) without losing anything.
    public func next(before deadline: ContinuousClock.Instant?) async -> Receipt {
        guard let deadline else { return await next().map(Receipt.batch) ?? .end }
        let ticket: UInt64 = state.withLock { state in
            state.receiverID &+= 1
            state.timedOut = false
            return state.receiverID
        }
        let timer = Task {
            try await Task.sleep(until: deadline, clock: .continuous)
            let receiver: CheckedContinuation<Batch?, Never>? = state.withLock { state in
                guard state.receiverID == ticket else { return nil }
                state.timedOut = true
                defer { state.receiver = nil }
                return state.receiver
            }
            receiver?.resume(returning: nil)
        }
        defer { timer.cancel() }
        let batch = await next()
        if let batch { return .batch(batch) }
        let timedOut = state.withLock { state in
            defer {
                state.timedOut = false
                state.receiverID &+= 1  // a timer that fires late finds another ticket
            }
            return state.timedOut && state.receiverID == ticket
        }
        return timedOut ? .timeout : .end
    }

    /// The consumer is gone: fail what is buffered and every later send.
    public func close() {
        let (batches, senders, receiver): ([Batch], [Waiter], CheckedContinuation<Batch?, Never>?) = state.withLock { state in
            state.closed = true
            var batches: [Batch] = []
            while let batch = state.popBuffered() { batches.append(batch) }
            let senders = state.senders
            state.senders = []
            defer { state.receiver = nil }
            return (batches, senders, state.receiver)
        }
        for batch in batches { batch.acknowledge(.failed) }
        for sender in senders {
            sender.batch.acknowledge(.failed)
            sender.continuation.resume(returning: false)
        }
        receiver?.resume(returning: nil)
    }
}

/// The consumer's side of a stage's inputs, as an async sequence of batches.
public struct StageInput: AsyncSequence, Sendable {
    public typealias Element = Batch
    let channel: BoundedChannel

    public init(_ channel: BoundedChannel) { self.channel = channel }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let channel: BoundedChannel
        public mutating func next() async -> Batch? { await channel.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(channel: channel) }

    /// The next batch, the end, or a timeout at `deadline` (nil: wait without a deadline).
    public func next(before deadline: ContinuousClock.Instant?) async -> BoundedChannel.Receipt {
        await channel.next(before: deadline)
    }

    /// Batches waiting now: zero means the producers are idle, a good moment to flush.
    public var isIdle: Bool { channel.bufferedCount == 0 }

    /// Stop consuming: buffered and future batches are failed so producers never hang.
    public func close() { channel.close() }
}

/// A stage's output: every downstream channel gets each batch (fan-out), one after another,
/// so the slowest consumer sets the pace.
public struct StageOutput: Sendable {
    let channels: [BoundedChannel]
    let counters: StageCounters
    /// A source's id, stamped on the batches it sends.
    let origin: String?

    init(channels: [BoundedChannel], counters: StageCounters, origin: String? = nil) {
        self.channels = channels
        self.counters = counters
        self.origin = origin
    }

    public func send(_ batch: Batch) async throws {
        guard !batch.points.isEmpty || !batch.acknowledgements.isEmpty else { return }
        var batch = batch
        if batch.origin == nil { batch.origin = origin }
        counters.add(sent: batch.points.count)
        if channels.isEmpty {
            batch.acknowledge(.delivered)
            return
        }
        batch.fork(into: channels.count)
        for (index, channel) in channels.enumerated() {
            do {
                try await channel.send(batch)
            } catch {
                // The copies not yet handed over are not going anywhere.
                for _ in channels.indices.dropFirst(index + 1) { batch.acknowledge(.failed) }
                throw error
            }
        }
    }

    func finish() {
        for channel in channels { channel.producerFinished() }
    }
}
