import EventModel

/// One target of a probe: what to measure and the tags its points carry.
public struct ProbeTarget: Sendable, Hashable {
    /// The `target` tag.
    public var name: String
    /// The host to ping, or for DNS the resolver to query: an address or a name resolved per round.
    public var host: String
    /// The `path` tag (SmokePing's `Section/Sub/target`); the name when absent.
    public var path: String?
    public var category: String?
    /// DNS: the name to look up and its record type (the probe's defaults when absent).
    public var lookup: String?
    public var record: String?

    public init(name: String, host: String, path: String? = nil, category: String? = nil, lookup: String? = nil, record: String? = nil) {
        self.name = name
        self.host = host
        self.path = path
        self.category = category
        self.lookup = lookup
        self.record = record
    }
}

/// A round the engine is asked to run: `pings` probes to `address`, the first at `start`.
public struct RoundRequest: Sendable {
    public var target: ProbeTarget
    public var address: IPAddress
    public var pings: Int
    /// Monotonic nanoseconds.
    public var start: Int64
    /// DNS: the question section to send.
    public var question: [UInt8]?

    public init(target: ProbeTarget, address: IPAddress, pings: Int, start: Int64, question: [UInt8]? = nil) {
        self.target = target
        self.address = address
        self.pings = pings
        self.start = start
        self.question = question
    }
}

/// A finished round, as SmokePing keeps it.
public struct RoundResult: Sendable {
    public var target: ProbeTarget
    /// Wall-clock nanoseconds when the round's first probe left.
    public var startedAt: Int64
    public var sent: Int
    /// Round-trip (or resolution) times of the answered probes, milliseconds, ascending.
    public var times: [Double]
    /// Answers to a probe already answered, and answers after the probe's timeout (not in `times`).
    public var duplicates: Int
    public var late: Int
    /// DNS: how many answers had each rcode.
    public var rcodes: [UInt8: Int]
    /// Why the round could not run (the host did not resolve, …): every probe counts as lost.
    public var error: String?

    public init(target: ProbeTarget, startedAt: Int64, sent: Int, times: [Double], duplicates: Int = 0, late: Int = 0,
                rcodes: [UInt8: Int] = [:], error: String? = nil) {
        self.target = target
        self.startedAt = startedAt
        self.sent = sent
        self.times = times
        self.duplicates = duplicates
        self.late = late
        self.rcodes = rcodes
        self.error = error
    }

    public var lost: Int { sent - times.count }

    /// SmokePing's median: the upper median of the received times.
    public var median: Double? { LatencySchema.median(sorted: times) }

    /// The most common rcode (the lower code on a tie), nil when nothing answered.
    public var commonRcode: UInt8? {
        rcodes.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
    }
}
