public import EventModel
import Synchronization

/// The bounded, multi-producer single-consumer queue between two stages.
///
/// At most `capacity` batches wait in it, plus one batch held by each suspended producer, so a
/// slow consumer suspends its producers and memory stays bounded. It ends when every producer
/// has finished. When the consumer closes it (it failed or was cancelled), buffered and later
/// batches are acknowledged as failed instead of blocking their producers forever.
public final class BoundedChannel: Sendable {
    /// A batch waiting for the consumer, with what the counters need of it.
    private struct Entry {
        var batch: Batch
        var arrivedAt: ContinuousClock.Instant
        var bytes: Int
    }

    private struct Waiter {
        var id: UInt64
        var entry: Entry
        var continuation: CheckedContinuation<Bool, any Error>
        var batch: Batch { entry.batch }
    }

    /// The consumer's side, one state at a time, so no flag outlives the receive it was for:
    /// each receive that waits gets a ticket, and its deadline's timer acts only on that ticket.
    private enum Receiver {
        case idle
        case waiting(CheckedContinuation<Receipt, Never>, ticket: UInt64)
        /// The timer of `ticket` fired before its receive began to wait.
        case expired(ticket: UInt64)
    }

    private struct State {
        var buffer: [Entry] = []
        var head = 0
        var producers: Int
        var closed = false
        var receiver = Receiver.idle
        var nextTicket: UInt64 = 0
        var senders: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var receiverCancelled = false
        /// Of the batches buffered and held by suspended senders: their points and estimated
        /// bytes (`SinkBufferCounters`).
        var waitingPoints = 0
        var waitingBytes = 0
        var droppedPoints = 0

        var bufferedCount: Int { buffer.count - head }
        var ended: Bool { producers == 0 || closed }

        /// A batch enters the buffer or a suspended sender's hands.
        mutating func count(_ entry: Entry) {
            waitingPoints += entry.batch.points.count
            waitingBytes += entry.bytes
        }

        /// A batch leaves both for good (taken, failed or cancelled).
        mutating func uncount(_ entry: Entry) {
            waitingPoints -= entry.batch.points.count
            waitingBytes -= entry.bytes
        }

        mutating func popBuffered() -> Batch? {
            guard head < buffer.count else { return nil }
            let entry = buffer[head]
            head += 1
            if head > 64 && head * 2 > buffer.count {
                buffer.removeFirst(head)
                head = 0
            }
            uncount(entry)
            return entry.batch
        }

        /// The next batch, and the suspended sender whose batch took its place (to resume).
        mutating func take() -> (Batch, Waiter?)? {
            if let batch = popBuffered() {
                guard !senders.isEmpty else { return (batch, nil) }
                let waiter = senders.removeFirst()
                buffer.append(waiter.entry)
                return (batch, waiter)
            }
            guard !senders.isEmpty else { return nil }
            let waiter = senders.removeFirst()
            uncount(waiter.entry)
            return (waiter.batch, waiter)
        }

        /// The oldest waiting batch's arrival: the buffer is in arrival order, and suspended
        /// senders arrived after every buffered batch.
        var oldestArrival: ContinuousClock.Instant? {
            head < buffer.count ? buffer[head].arrivedAt : senders.first?.entry.arrivedAt
        }

        /// The waiting receive, which the caller resumes; the consumer is idle again.
        mutating func takeReceiver() -> CheckedContinuation<Receipt, Never>? {
            guard case .waiting(let continuation, _) = receiver else { return nil }
            receiver = .idle
            return continuation
        }
    }

    public let capacity: Int
    /// What a sender meets when the buffer is full: it waits (`block`) or its batch is dropped
    /// for this consumer (`dropNewest`, counted in `counters`).
    public let whenFull: SinkBuffer.WhenFull
    let counters: StageCounters?
    /// Whether `usage` estimates bytes (a sink's memory buffer): it costs a pass over each
    /// batch's tags and fields, which other channels need not pay.
    let measuresBytes: Bool
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state: Mutex<State>

    /// `now` is the clock of the oldest batch's age (a test's own clock; the continuous clock).
    public init(
        capacity: Int, producers: Int, whenFull: SinkBuffer.WhenFull = .block, counters: StageCounters? = nil,
        measuresBytes: Bool = false, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        precondition(capacity >= 1 && producers >= 1)
        self.capacity = capacity
        self.whenFull = whenFull
        self.counters = counters
        self.measuresBytes = measuresBytes
        self.now = now
        state = Mutex(State(producers: producers))
    }

    /// Computed before the lock is taken, so the lock is held no longer than before.
    private func makeEntry(_ batch: Batch) -> Entry {
        Entry(batch: batch, arrivedAt: now(), bytes: measuresBytes ? batch.estimatedLineProtocolBytes : 0)
    }

    /// What waits for the consumer now (buffered, and held by suspended senders) and what was
    /// dropped: a memory buffer's counters.
    public var usage: SinkBufferCounters {
        let instant = now()
        return state.withLock { state in
            SinkBufferCounters(
                points: state.waitingPoints, records: state.bufferedCount + state.senders.count, bytes: Int64(state.waitingBytes),
                oldestAge: state.oldestArrival.map { instant - $0 }, droppedPoints: state.droppedPoints)
        }
    }

    /// Hands a batch over if there is room now, never waiting. A batch that finds the buffer
    /// full is acknowledged `rejected` (dropped for this consumer by configuration) and counted;
    /// one that finds the consumer closed, `failed`.
    func offer(_ batch: Batch) {
        enum Action { case accepted, full, closed, resume(CheckedContinuation<Receipt, Never>) }
        let entry = makeEntry(batch)
        let action: Action = state.withLock { state in
            if state.closed { return .closed }
            if let receiver = state.takeReceiver() { return .resume(receiver) }
            guard state.bufferedCount < capacity else {
                state.droppedPoints += batch.points.count
                return .full
            }
            state.buffer.append(entry)
            state.count(entry)
            return .accepted
        }
        switch action {
        case .accepted: break
        case .resume(let receiver): receiver.resume(returning: .batch(batch))
        case .closed: batch.acknowledge(.failed)
        case .full:
            counters?.add(dropped: batch.points.count, reason: .bufferFull)
            batch.acknowledge(.rejected)
        }
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
            case resumeReceiver(CheckedContinuation<Receipt, Never>)
            case wait(UInt64)
        }
        let entry = makeEntry(batch)
        let action: Action = state.withLock { state in
            if state.closed { return .done(false) }
            if let receiver = state.takeReceiver() { return .resumeReceiver(receiver) }
            if state.bufferedCount < capacity {
                state.buffer.append(entry)
                state.count(entry)
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
            receiver.resume(returning: .batch(batch))
            return true
        case .wait(let id):
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Bool, any Error>) in
                    let immediate: Result<Bool, any Error>? = state.withLock { state in
                        if Task.isCancelled { return .failure(CancellationError()) }
                        if state.closed { return .success(false) }
                        if state.bufferedCount < capacity {
                            state.buffer.append(entry)
                            state.count(entry)
                            return .success(true)
                        }
                        state.senders.append(Waiter(id: id, entry: entry, continuation: continuation))
                        state.count(entry)
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
                    let waiter = state.senders.remove(at: index)
                    state.uncount(waiter.entry)
                    return waiter
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
        let receiver: CheckedContinuation<Receipt, Never>? = state.withLock { state in
            state.producers -= 1
            guard state.producers == 0, state.bufferedCount == 0, state.senders.isEmpty else { return nil }
            return state.takeReceiver()
        }
        receiver?.resume(returning: .end)
    }

    /// The next batch, or nil once every producer has finished and the buffer is empty
    /// (or the consumer was cancelled).
    public func next() async -> Batch? {
        if case .batch(let batch) = await next(before: nil) { return batch }
        return nil
    }

    /// What `next(before:)` found.
    public enum Receipt: Sendable {
        case batch(Batch)
        case end
        case timeout
    }

    /// Like `next()`, but gives up at `deadline` (a sink's flush timer) without losing anything.
    public func next(before deadline: ContinuousClock.Instant?) async -> Receipt {
        enum Action {
            case value(Receipt, Waiter?)
            case wait(ticket: UInt64)
        }
        let action: Action = state.withLock { state in
            if case let (batch, waiter)? = state.take() { return .value(.batch(batch), waiter) }
            if state.ended || state.receiverCancelled { return .value(.end, nil) }
            defer { state.nextTicket &+= 1 }
            return .wait(ticket: state.nextTicket)
        }
        switch action {
        case .value(let receipt, let waiter):
            waiter?.continuation.resume(returning: true)
            return receipt
        case .wait(let ticket):
            let timer = deadline.map { deadline in
                Task {
                    try await Task.sleep(until: deadline, clock: .continuous)
                    expire(ticket)
                }
            }
            defer { timer?.cancel() }
            return await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Receipt, Never>) in
                    let immediate: (Receipt, Waiter?)? = state.withLock { state in
                        if state.receiverCancelled || Task.isCancelled { return (.end, nil) }
                        if case let (batch, waiter)? = state.take() { return (.batch(batch), waiter) }
                        if state.ended { return (.end, nil) }
                        if case .expired(ticket: ticket) = state.receiver {
                            state.receiver = .idle
                            return (.timeout, nil)
                        }
                        state.receiver = .waiting(continuation, ticket: ticket)
                        return nil
                    }
                    if case let (receipt, waiter)? = immediate {
                        waiter?.continuation.resume(returning: true)
                        continuation.resume(returning: receipt)
                    }
                }
            } onCancel: {
                let receiver = state.withLock { state in
                    state.receiverCancelled = true
                    return state.takeReceiver()
                }
                receiver?.resume(returning: .end)
            }
        }
    }

    /// The deadline of the receive holding `ticket` has passed.
    private func expire(_ ticket: UInt64) {
        let receiver: CheckedContinuation<Receipt, Never>? = state.withLock { state in
            switch state.receiver {
            case .waiting(let continuation, ticket: ticket):
                state.receiver = .idle
                return continuation
            case .idle, .expired:
                // Its receive has not begun to wait (or has already returned: then the next
                // receive, with a later ticket, ignores this).
                state.receiver = .expired(ticket: ticket)
                return nil
            case .waiting:
                // Another receive: the one holding `ticket` has returned (there is one consumer).
                return nil
            }
        }
        receiver?.resume(returning: .timeout)
    }

    /// The consumer is gone: fail what is buffered and every later send.
    public func close() {
        let (batches, senders, receiver): ([Batch], [Waiter], CheckedContinuation<Receipt, Never>?) = state.withLock { state in
            state.closed = true
            var batches: [Batch] = []
            while let batch = state.popBuffered() { batches.append(batch) }
            let senders = state.senders
            state.senders = []
            for sender in senders { state.uncount(sender.entry) }
            return (batches, senders, state.takeReceiver())
        }
        for batch in batches { batch.acknowledge(.failed) }
        for sender in senders {
            sender.batch.acknowledge(.failed)
            sender.continuation.resume(returning: false)
        }
        receiver?.resume(returning: .end)
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
            if channel.whenFull == .dropNewest {
                channel.offer(batch)
                continue
            }
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
