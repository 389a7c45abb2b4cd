/// The global packet-rate limit (fping's `-i` as a rate): a token bucket of `rate` packets per
/// second holding a few packets' worth (5 ms, at least 4), so packets may leave in small bursts
/// but never faster than `rate` on average.
struct RateLimiter {
    let spacing: Int64
    let burst: Int64
    private var nextAllowed: Int64 = 0

    init(packetsPerSecond: Double) {
        spacing = max(Int64((1e9 / packetsPerSecond).rounded()), 1)
        burst = Int64(max(4, Int(packetsPerSecond * 0.005))) * spacing
    }

    /// When the next packet may leave.
    func earliest(now: Int64) -> Int64 { max(nextAllowed, now - burst) }

    /// When a whole burst may leave again.
    var refilled: Int64 { nextAllowed + burst - spacing }

    mutating func take(now: Int64) {
        nextAllowed = max(nextAllowed, now - burst) + spacing
    }
}
