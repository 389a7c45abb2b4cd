public import Logging

/// Which lines count as the same event: one call site (file and line, so the message's
/// interpolated values do not matter), at one level, for one component.
public struct RepeatKey: Hashable, Sendable {
    public var level: Logger.Level
    public var file: String
    public var line: UInt
    public var componentID: String

    public init(level: Logger.Level, file: String, line: UInt, componentID: String) {
        self.level = level
        self.file = file
        self.line = line
        self.componentID = componentID
    }
}

/// Rate limiting of repeated lines, as a state machine with the clock passed in: the first
/// `burst` lines of an event within a minute pass, the rest are counted, and when that minute
/// ends (`expire`) or the process exits (`drain`) one summary stands for them. The next line of
/// the event after its minute starts a new minute. Not thread-safe: `LogOutput` holds it in a
/// mutex.
public struct RepeatLimiter: Sendable {
    public static let window: Int64 = 60_000_000_000

    /// What a summary line says: how many lines of `key` were left out, and the last of them.
    public struct Summary: Sendable, Equatable {
        public var key: RepeatKey
        public var suppressed: Int
        public var lastMessage: String

        /// "… 1,234 more in the last minute"
        public var message: String { "… \(Self.grouped(suppressed)) more in the last minute" }

        static func grouped(_ count: Int) -> String {
            let digits = Array(String(count))
            var text = ""
            for (index, digit) in digits.enumerated() {
                if index > 0, (digits.count - index) % 3 == 0 { text.append(",") }
                text.append(digit)
            }
            return text
        }
    }

    struct Window {
        var end: Int64
        var passed: Int
        var suppressed = 0
        var lastMessage = ""
    }

    public let burst: Int
    private var windows: [RepeatKey: Window] = [:]
    /// The earliest end of a window, so `expire` costs one comparison until then.
    private var nextEnd = Int64.max

    public init(burst: Int) { self.burst = max(1, burst) }

    /// Whether a line of `key` at `now` is written; counted if not. Call `expire(now:)` first.
    public mutating func admit(_ key: RepeatKey, message: @autoclosure () -> String, now: Int64) -> Bool {
        if var window = windows[key], now < window.end {
            if window.passed < burst {
                window.passed += 1
                windows[key] = window
                return true
            }
            window.suppressed += 1
            window.lastMessage = message()
            windows[key] = window
            return false
        }
        let end = now + Self.window
        windows[key] = Window(end: end, passed: 1)
        nextEnd = min(nextEnd, end)
        return true
    }

    /// The summaries of the windows that ended by `now`, which are forgotten (so the table holds
    /// only events of the last minute).
    public mutating func expire(now: Int64) -> [Summary] {
        guard now >= nextEnd else { return [] }
        var summaries: [Summary] = []
        var next = Int64.max
        for (key, window) in windows {
            if window.end <= now {
                windows[key] = nil
                if window.suppressed > 0 { summaries.append(Summary(key: key, suppressed: window.suppressed, lastMessage: window.lastMessage)) }
            } else {
                next = min(next, window.end)
            }
        }
        nextEnd = next
        return summaries.sorted { ($0.key.file, $0.key.line, $0.key.componentID) < ($1.key.file, $1.key.line, $1.key.componentID) }
    }

    /// Every pending summary, at exit: the counts so far, though their minutes have not ended.
    public mutating func drain() -> [Summary] {
        let summaries = expire(now: .max)
        windows = [:]
        nextEnd = .max
        return summaries
    }
}
