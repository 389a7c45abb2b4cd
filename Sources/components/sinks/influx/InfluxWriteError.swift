/// Why the `influx` sink stopped writing for good, for callers to match on (`reason`, `status`,
/// `isRetryable`, as Telegraf's `APIError{StatusCode, Retryable}`); its description is one line
/// naming the server, never a credential.
public struct InfluxWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// 401 or 403 was the last answer when `retry_max_attempts` ran out: the credentials.
        case credentialsRefused
        /// 404 was the last answer: no such database (v1), or org or bucket (v2), named in `what`.
        case notFound(what: String)
        /// Any other failure (no answer, 429, 5xx, a redirect, a request-level 400…) outlasted
        /// `retry_max_attempts`.
        case retriesExhausted(attempts: Int)
    }

    public let reason: Reason
    /// `scheme://host:port`.
    public let server: String
    /// The last HTTP status; nil when the last attempt got no answer.
    public let status: UInt?
    /// What the server said (its `error` or `message`), or why there was no answer; redacted.
    public let message: String

    public init(_ reason: Reason, server: String, status: UInt?, message: String) {
        self.reason = reason
        self.server = server
        self.status = status
        self.message = message
    }

    /// Whether the same write could succeed later without a change to the configuration: true
    /// when the server was unreachable or overloaded, false when it refused the configuration.
    public var isRetryable: Bool {
        if case .retriesExhausted = reason { return true }
        return false
    }

    public var description: String {
        switch reason {
        case .credentialsRefused:
            return "\(server) refused the credentials (HTTP \(status ?? 0))"
        case .notFound(let what):
            return "\(server) answered 404 (\(what) not found): \(message)"
        case .retriesExhausted(let attempts):
            let last = status.map { "HTTP \($0)" + (message.isEmpty ? "" : ": \(message.prefix(200))") } ?? message
            return "\(server) still failing after \(attempts) attempts (last: \(last))"
        }
    }
}
extension InfluxWriteError {
    /// The error once `retry_max_attempts` ran out: credentials or not found when that was the
    /// last answer (most likely the configuration), else retries exhausted.
    init(exhausted attempts: Int, _ failure: WriteFailure, server: String, api: InfluxSinkConfiguration.API) {
        switch failure.status {
        case 401, 403: self.init(.credentialsRefused, server: server, status: failure.status, message: failure.message)
        case 404:
            let what = api == .v1 ? "database" : "org or bucket"
            self.init(.notFound(what: what), server: server, status: failure.status, message: failure.message)
        default: self.init(.retriesExhausted(attempts: attempts), server: server, status: failure.status, message: failure.message)
        }
    }
}
