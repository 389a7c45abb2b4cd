/// The point schema of `docs/schema.md` in code: the measurement, tag and field names every
/// source, transform and sink of latency rounds uses, and SmokePing's round layout (where the
/// times of a round go among `ping_1` … `ping_N`). One home: no other file spells these names.
public enum LatencySchema {
    /// The measurements of `docs/schema.md`.
    public enum Measurement {
        /// A ping round (FPing, FPing6, native ICMP probes).
        public static let latency = "latency"
        /// A DNS round.
        public static let dnsLatency = "dns_latency"
        /// The measurements of probe rounds, as sources write them (rollups excluded).
        public static let rounds = [latency, dnsLatency]

        /// `<measurement>_<window>`: a rollup of the `downsample` transform or a consolidated RRD
        /// row, named by its window or resolution in nanoseconds (`latency` → `latency_1h`).
        public static func rollup(_ measurement: String, window nanoseconds: Int64) -> String {
            measurement + "_" + LatencySchema.durationName(nanoseconds)
        }
    }

    /// Tag names.
    public enum Tag {
        /// The target name (last part of its SmokePing path).
        public static let target = "target"
        /// SmokePing's section path, `Section/Sub/target`.
        public static let path = "path"
        /// `fping`, `fping6`, `dns` (`ProbeType`).
        public static let probeType = "probe_type"
        /// The top section of the path, or the category from the configuration store.
        public static let category = "category"
        /// A SmokePing slave's file (`<target>~<slave>.rrd`).
        public static let slave = "slave"
        /// `dns_latency`: the server queried.
        public static let resolver = "resolver"
        /// Added by `postgres_join` (its default tag names).
        public static let site = "site"
        public static let cachegroup = "cachegroup"
        public static let title = "title"
        public static let probe = "probe"
        /// `latency` from the `rrd` source with `smokeping_config`: the target's host as
        /// SmokePing probes it (`dns_latency` has it as `resolver`).
        public static let host = "host"
        /// `unknown` on points of targets not in the store (`postgres_join`, `unknown: tag`).
        public static let metadata = "metadata"
    }

    /// Values of the `probe_type` tag.
    public enum ProbeType {
        public static let fping = "fping"
        public static let fping6 = "fping6"
        public static let dns = "dns"
    }

    /// Field names. Consolidated rows and rollups add `minSuffix` / `maxSuffix` (`median_min`,
    /// `ping_3_max`).
    public enum Field {
        /// Milliseconds, SmokePing's median: the upper median of the received pings.
        public static let median = "median"
        /// `dns_latency`: milliseconds, the round's median resolution time.
        public static let resolutionTime = "resolution_time"
        /// Percent of pings sent (0–100).
        public static let loss = "loss"
        /// Pings lost (a float: an RRD row blends two rounds).
        public static let lost = "lost"
        /// Pings sent per round (an int).
        public static let pings = "pings"
        /// Native probes: answers to a ping already answered.
        public static let duplicates = "duplicates"
        /// Native probes: answers after the ping's timeout.
        public static let late = "late"
        /// Native probes: why the round could not run.
        public static let error = "error"
        /// Native DNS probe: the round's most common response code.
        public static let rcode = "rcode"
        /// `ping_1` … `ping_N`; use `LatencySchema.pingFieldName(_:)` for the names.
        public static let pingPrefix = "ping_"
        public static let minSuffix = "_min"
        public static let maxSuffix = "_max"
    }

    /// The most pings a round can have (probes, RRD files and the sink cap `pings` there).
    public static let maxPings = 1000

    /// `ping_0` … `ping_1000`, made once: naming a ping builds no string.
    @usableFromInline
    static let pingFieldNames: [String] = (0...maxPings).map { Field.pingPrefix + String($0) }

    /// `ping_<number>` (1-based, as SmokePing numbers them); from a table up to `maxPings`.
    @inlinable
    public static func pingFieldName(_ number: Int) -> String {
        number >= 0 && number <= maxPings ? pingFieldNames[number] : Field.pingPrefix + String(number)
    }

    /// SmokePing's round layout (`Smokeping.pm`): of `sent` pings, the `received` times, sorted
    /// ascending, take consecutive slots; the lost pings are absent, `int(lost/2)` of them before
    /// the times and the rest after. Returns the ping numbers (1-based) of the received times:
    /// the `i`-th sorted time (from 0) is `ping_(lowerBound + i)`; numbers in `1...sent` outside
    /// the range are lost. A round with more times than pings counts none lost.
    @inlinable
    public static func receivedPingNumbers(received: Int, sent: Int) -> Range<Int> {
        let first = max(sent - received, 0) / 2 + 1
        return first..<(first + max(received, 0))
    }

    /// SmokePing's median: the upper median of the received times (sorted ascending); nil when
    /// nothing was received.
    @inlinable
    public static func median(sorted times: [Double]) -> Double? {
        times.isEmpty ? nil : times[times.count / 2]
    }

    /// A window or resolution as rollup names spell it: `1d`, `12h`, `5m`, `30s`, `500ms`.
    public static func durationName(_ nanoseconds: Int64) -> String {
        let seconds = nanoseconds / 1_000_000_000
        if seconds > 0, nanoseconds % 1_000_000_000 == 0 {
            if seconds % 86400 == 0 { return "\(seconds / 86400)d" }
            if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
            if seconds % 60 == 0 { return "\(seconds / 60)m" }
            return "\(seconds)s"
        }
        return "\(nanoseconds / 1_000_000)ms"
    }
}
