import Foundation

/// How long the `influx` sink waits before sending a request again: its own exponential
/// backoff, with jitter, a server's `Retry-After` as a floor, and a short cap while the server
/// refuses connections (a refused connect costs the server nothing, and a restarted server
/// should be noticed within a second, not after a backoff grown during the outage).
struct RetryBackoff: Sendable {
    /// The longest wait between attempts while connections fail.
    static let unreachableCap = Duration.seconds(1)

    let maximum: Duration
    private(set) var current: Duration

    init(initial: Duration, maximum: Duration) {
        self.maximum = max(maximum, initial)
        current = initial
    }

    /// The wait before the next attempt; `random` in 0...1 spreads agents that failed together.
    mutating func next(unreachable: Bool, retryAfter: Duration?, random: Double) -> Duration {
        defer { current = min(current * 2, maximum) }
        if unreachable { return min(current, Self.unreachableCap) * (0.5 + 0.5 * random) }
        if let retryAfter {
            // The server's floor, capped so a huge value cannot park the sink, plus up to half
            // of it again (at least half our own backoff) so agents do not all return at once.
            let floor = min(retryAfter, maximum)
            return floor + max(floor, current) * (0.5 * random)
        }
        return current * (0.5 + 0.5 * random)
    }

    /// `Retry-After` in seconds; nil (our own backoff) when absent, negative or not a number.
    /// The HTTP-date form is not used by InfluxDB and counts as absent.
    static func retryAfter(_ header: String?) -> Duration? {
        guard let header, let seconds = Int(header.trimmingCharacters(in: .whitespaces)), seconds >= 0 else { return nil }
        return .seconds(seconds)
    }
}
