#if canImport(Glibc)
import Glibc
#endif

/// Nanosecond clocks: monotonic for round-trip times, real time for point timestamps.
public enum Clocks {
    public static func monotonic() -> Int64 { read(CLOCK_MONOTONIC) }

    public static func realtime() -> Int64 { read(CLOCK_REALTIME) }

    static func read(_ clock: clockid_t) -> Int64 {
        var now = timespec()
        clock_gettime(clock, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
