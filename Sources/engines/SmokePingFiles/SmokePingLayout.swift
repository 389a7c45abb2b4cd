import EventModel
#if canImport(Glibc)
import Glibc
#endif

/// SmokePing's RRD layout, exactly as `Smokeping.pm` creates and updates its files (2.7/2.9):
/// step 300, data sources `uptime`, `loss` (max = pings), `median`, `ping1` … `pingN`, all
/// GAUGE with heartbeat 2·step, archives from the Database table.
public struct SmokePingLayout: Sendable, Equatable {
    public struct Archive: Sendable, Equatable {
        public var consolidation: String
        public var xff: Double
        public var steps: Int
        public var rows: Int

        public init(_ consolidation: String, _ xff: Double, _ steps: Int, _ rows: Int) {
            self.consolidation = consolidation
            self.xff = xff
            self.steps = steps
            self.rows = rows
        }
    }

    public var step: Int
    public var pings: Int
    public var archives: [Archive]

    /// Debian's `/etc/smokeping/config.d/Database`.
    public static let debianArchives: [Archive] = [
        .init("AVERAGE", 0.5, 1, 1008), .init("AVERAGE", 0.5, 12, 4320), .init("MIN", 0.5, 12, 4320),
        .init("MAX", 0.5, 12, 4320), .init("AVERAGE", 0.5, 144, 720), .init("MAX", 0.5, 144, 720),
        .init("MIN", 0.5, 144, 720),
    ]

    /// Upstream SmokePing's default Database table.
    public static let upstreamArchives: [Archive] = [
        .init("AVERAGE", 0.5, 1, 28800), .init("AVERAGE", 0.5, 12, 9600), .init("MIN", 0.5, 12, 9600),
        .init("MAX", 0.5, 12, 9600), .init("AVERAGE", 0.5, 144, 2400), .init("MAX", 0.5, 144, 2400),
        .init("MIN", 0.5, 144, 2400),
    ]

    public init(step: Int = 300, pings: Int = 20, archives: [Archive] = SmokePingLayout.debianArchives) {
        self.step = step
        self.pings = pings
        self.archives = archives
    }

    public var dataSourceNames: [String] { ["uptime", "loss", "median"] + (1...pings).map { "ping\($0)" } }

    /// The `--template` SmokePing updates with.
    public var template: String { dataSourceNames.joined(separator: ":") }

    public var dataSourceDefinitions: [String] {
        let heartbeat = 2 * step
        return ["DS:uptime:GAUGE:\(heartbeat):0:U", "DS:loss:GAUGE:\(heartbeat):0:\(pings)", "DS:median:GAUGE:\(heartbeat):0:U"]
            + (1...pings).map { "DS:ping\($0):GAUGE:\(heartbeat):0:U" }
    }

    public var archiveDefinitions: [String] {
        archives.map { "RRA:\($0.consolidation):\(Self.format($0.xff)):\($0.steps):\($0.rows)" }
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// The update value (after `time:`) SmokePing writes for one round: `uptime:loss:median:ping1:…`.
    /// `rtts` are the received round-trip times in seconds, laid out as `LatencySchema`'s round
    /// layout says (lost pings unknown, `U`); the median is the upper median. A round with no
    /// answers stores `loss = pings` and unknown times.
    public func updateValue(roundTripTimes rtts: [Double]) -> String {
        let times = rtts.sorted()
        guard let median = LatencySchema.median(sorted: times) else {
            return "U:\(pings):" + Array(repeating: "U", count: pings + 1).joined(separator: ":")
        }
        let received = LatencySchema.receivedPingNumbers(received: times.count, sent: pings)
        var value = "U:\(pings - times.count):\(Self.seconds(median))"
        for number in 1..<(pings + 1) {
            value += received.contains(number) ? ":" + Self.seconds(times[number - received.lowerBound]) : ":U"
        }
        return value
    }

    /// `%.10e`, as SmokePing's probes format seconds.
    static func seconds(_ value: Double) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
            withVaList([value]) { _ = vsnprintf(buffer.baseAddress!, 32, "%.10e", $0) }
            return String(cString: buffer.baseAddress!)
        }
    }
}
