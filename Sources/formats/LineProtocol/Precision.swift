/// Timestamp precision of a line-protocol body, as the write APIs name it.
public enum Precision: String, Sendable, CaseIterable {
    case nanoseconds = "ns"
    case microseconds = "us"
    case milliseconds = "ms"
    case seconds = "s"

    /// Nanoseconds per unit.
    @inlinable
    public var divisor: Int64 {
        switch self {
        case .nanoseconds: return 1
        case .microseconds: return 1_000
        case .milliseconds: return 1_000_000
        case .seconds: return 1_000_000_000
        }
    }

    /// The v1 API spells nanoseconds `n` and microseconds `u`.
    public var v1Name: String {
        switch self {
        case .nanoseconds: return "n"
        case .microseconds: return "u"
        case .milliseconds: return "ms"
        case .seconds: return "s"
        }
    }
}
