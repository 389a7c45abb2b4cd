import Logging
import Nats

/// `body` again every second while the servers do not answer, or while the stream it needs
/// does not exist yet (its publisher, or the process that declares it, has not come); one
/// warning at the first failure. A JetStream refusal (any other error code) is for good.
func untilNatsAnswers<T: Sendable>(_ name: String, logger: Logger, _ body: () async throws -> T) async throws -> T {
    var attempt = 0
    while true {
        attempt += 1
        do {
            return try await body()
        } catch let error as NatsError where error.jetStreamCode == 0 || error.jetStreamCode == NatsError.streamNotFound {
            if attempt == 1 { logger.warning("\(name): \(error); trying until it answers") }
            try await Task.sleep(for: .seconds(1))
        }
    }
}
