public import PipelineRuntime

/// What `body` returned, or nil when it did not return within `timeout` (it is then cancelled
/// and left behind): for checks that something is bounded (a hang fails the test instead of
/// holding it), never for how fast it is.
public func finishes<T: Sendable>(within timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
    try await untilDeadline(.now + timeout, body)?.get()
}
