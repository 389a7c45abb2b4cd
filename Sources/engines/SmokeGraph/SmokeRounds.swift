/// One measurement round (or one consolidated RRD row) as the smoke graph needs it.
public struct SmokeRound: Sendable, Equatable {
    /// Unix seconds (the end of the RRD row's interval).
    public var time: Int
    /// Pings sent in the round.
    public var pings: Int
    /// Received round-trip times in milliseconds, ascending; lost pings are absent.
    public var times: [Double]
    /// SmokePing's (upper) median in milliseconds; nil when every ping was lost or the row is unknown.
    public var median: Double?
    /// Pings lost; fractional when an RRD row blends two rounds (2.88 of 20). Nil: no data at all.
    public var loss: Double?

    public init(time: Int, pings: Int, times: [Double], median: Double?, loss: Double?) {
        self.time = time
        self.pings = pings
        self.times = times.sorted()
        self.median = median
        self.loss = loss
    }

    /// Loss as percent of the pings sent.
    public var lossPercent: Double? {
        guard let loss, pings > 0 else { return nil }
        return loss / Double(pings) * 100
    }
}

/// The rounds of one target over one time range, oldest first.
public struct SmokeRounds: Sendable, Equatable {
    public var start: Int
    public var end: Int
    /// Seconds each round (row) covers: the RRD archive's step or the query's group-by window.
    public var step: Int
    public var pings: Int
    public var rounds: [SmokeRound]

    public init(start: Int, end: Int, step: Int, pings: Int, rounds: [SmokeRound]) {
        self.start = start
        self.end = end
        self.step = step
        self.pings = pings
        self.rounds = rounds
    }

    public var summary: SmokeSummary { SmokeSummary(self) }
}

/// min/avg/max/last of one series, as SmokePing's legend prints them (GPRINT MIN/AVERAGE/MAX/LAST).
public struct SeriesStats: Sendable, Equatable {
    public var min: Double
    public var average: Double
    public var max: Double
    public var last: Double

    /// Nil when the series has no known value.
    public init?(_ values: [Double]) {
        guard let first = values.first, let last = values.last else { return nil }
        var low = first, high = first, sum = 0.0
        for value in values {
            low = Swift.min(low, value)
            high = Swift.max(high, value)
            sum += value
        }
        self.init(min: low, average: sum / Double(values.count), max: high, last: last)
    }

    public init(min: Double, average: Double, max: Double, last: Double) {
        self.min = min
        self.average = average
        self.max = max
        self.last = last
    }
}

/// The legend's numbers: median rtt (ms) and packet loss (percent) over the rounds with data.
public struct SmokeSummary: Sendable, Equatable {
    public var median: SeriesStats?
    public var lossPercent: SeriesStats?

    public init(_ rounds: SmokeRounds) {
        median = SeriesStats(rounds.rounds.compactMap(\.median))
        lossPercent = SeriesStats(rounds.rounds.compactMap(\.lossPercent))
    }
}
