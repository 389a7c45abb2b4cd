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

/// A binary min-heap of (due time, round) pairs: the next ping each active round owes.
struct SendQueue {
    private var items: [(due: Int64, round: Int32)] = []

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    var first: (due: Int64, round: Int32)? { items.first }

    mutating func push(_ due: Int64, _ round: Int32) {
        items.append((due, round))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].due < items[parent].due else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (due: Int64, round: Int32)? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < items.count else { break }
                var child = left
                if left + 1 < items.count, items[left + 1].due < items[left].due { child = left + 1 }
                guard items[child].due < items[parent].due else { break }
                items.swapAt(child, parent)
                parent = child
            }
        }
        return top
    }
}

/// Per-ping deadlines in send order (one timeout for the whole engine, so FIFO is sorted).
struct DeadlineQueue {
    private var items: [(deadline: Int64, sequence: UInt16, token: UInt32)] = []
    private var head = 0

    var first: (deadline: Int64, sequence: UInt16, token: UInt32)? { head < items.count ? items[head] : nil }

    mutating func append(_ deadline: Int64, _ sequence: UInt16, _ token: UInt32) {
        items.append((deadline, sequence, token))
    }

    mutating func removeFirst() {
        head += 1
        if head > 4096, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
    }
}
