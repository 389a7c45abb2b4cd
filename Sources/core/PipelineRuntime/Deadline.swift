import Synchronization

/// Runs `body` in a task of its own and returns its result, or nil once `deadline` has passed.
/// At the deadline the body is cancelled and no longer awaited: work that ignores cancellation
/// (a blocking call, a sleep of an hour) cannot hold the caller past it.
public func untilDeadline<T: Sendable>(
    _ deadline: ContinuousClock.Instant, _ body: @escaping @Sendable () async throws -> T
) async -> Result<T, any Error>? {
    let task = Task { try await body() }
    let race = FirstOf<Result<T, any Error>?>()
    let result = await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>?, Never>) in
            race.wait(continuation)
            Task { race.resume(await task.result) }
            race.timer(Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                race.resume(nil)
            })
        }
    } onCancel: {
        task.cancel()
    }
    race.cancelTimer()
    task.cancel()
    return result
}

/// One continuation, resumed by whichever of two tasks comes first.
private final class FirstOf<Value: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Value, Never>?, timer: Task<Void, Never>?)>((nil, nil))

    func wait(_ continuation: CheckedContinuation<Value, Never>) { state.withLock { $0.continuation = continuation } }
    func timer(_ task: Task<Void, Never>) { state.withLock { $0.timer = task } }
    func cancelTimer() { state.withLock { $0.timer }?.cancel() }

    func resume(_ value: Value) {
        state.withLock { state in
            defer { state.continuation = nil }
            return state.continuation
        }?.resume(returning: value)
    }
}
