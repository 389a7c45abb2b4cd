/// Where the API's records live: PostgreSQL (`DatabaseStore`) or one YAML file (`FileStore`).
/// Both apply the same `StoreRules`, answer the same filters and apply a list of operations
/// all or nothing.
public protocol ConfigStore: Sendable {
    var mode: StoreMode { get }

    /// Everything, as one consistent read.
    func snapshot() async throws -> StoreSnapshot

    func targets(matching query: TargetQuery) async throws -> TargetPage

    /// The categories and probes alone (what a request naming them by id needs), without the
    /// targets: a snapshot of 10,000 targets per write would cost more than the write.
    func catalog() async throws -> StoreSnapshot

    /// Applies every operation or none; throws `StoreRejection` naming each item that failed,
    /// `StoreUnavailable` when the store cannot be reached.
    func apply(_ operations: [StoreOperation]) async throws -> [OperationResult]
}

/// Timestamps as the API writes them: ISO 8601 in UTC with microseconds, as PostgreSQL's.
enum StoreClock {
    static func now() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        var seconds = time_t(time.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let micros = String(Int(time.tv_nsec) / 1000)
        let padded = String(repeating: "0", count: 6 - micros.count) + micros
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(padded)Z"
    }
}

#if canImport(Glibc)
import Glibc
#endif
