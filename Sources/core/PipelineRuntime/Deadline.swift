import Synchronization

/// Runs `body` in a task of its own and returns its result, or nil once `deadline` has passed.
/// At the deadline the body is cancelled and no longer awaited: work that ignores cancellation
/// (a blocking call, a sleep of an hour) cannot hold the caller past it.
public func untilDeadline<T: Sendable>(
    _ deadline: ContinuousClock.Instant, _ body: @escaping @Sendable () async throws -> T
) async -> Result<T, any Error>? {
    let task = Task { try await body() }
    let slot = Mutex<CheckedContinuation<Result<T, any Error>?, Never>?>(nil)
    let timer = Mutex<Task<Void, Never>?>(nil)
    let result = await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>?, Never>) in
            slot.withLock { $0 = continuation }
            Task {
                let result = await task.result
                slot.withLock { $0.take() }?.resume(returning: result)
            }
            timer.withLock {
                $0 = Task {
                    try? await Task.sleep(until: deadline, clock: .continuous)
                    slot.withLock { $0.take() }?.resume(returning: nil)
                }
            }
        }
    } onCancel: {
        task.cancel()
    }
    timer.withLock { $0?.cancel() }
    task.cancel()
    return result
}
