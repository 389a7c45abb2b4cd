/// SmokePing's smoke for one round: ping slots paired outside in (`smokecol` in Smokeping.pm).
enum SmokeBands {
    struct Band: Equatable {
        /// 1 for the outermost pair (ping1 with pingN).
        var pair: Int
        var low: Double
        var high: Double
    }

    /// The round's ping slots as SmokePing stores them: `int(lost/2)` unknown slots before the
    /// sorted received times, the rest after.
    static func slots(_ round: SmokeRound) -> [Double?] {
        let pings = max(round.pings, round.times.count)
        let lost = pings - round.times.count
        var slots = [Double?](repeating: nil, count: pings)
        for (offset, time) in round.times.enumerated() { slots[lost / 2 + offset] = time }
        return slots
    }

    /// Slot `bottom` paired with slot `pings + 1 − bottom` while they differ; a pair with a
    /// lost slot draws nothing (its CDEF is unknown in rrdtool).
    static func bands(_ round: SmokeRound) -> [Band] {
        let slots = slots(round)
        guard slots.count > 2 else { return [] }
        var bands: [Band] = []
        var bottom = 1, top = slots.count
        while top > bottom {
            if let low = slots[bottom - 1], let high = slots[top - 1] {
                bands.append(Band(pair: bottom, low: low, high: high))
            }
            bottom += 1
            top -= 1
        }
        return bands
    }

    /// The grey of pair `pair` of `pings`: 50 (dark) in the middle to 240 outside.
    static func greyLevel(pair: Int, pings: Int) -> Int {
        let half = Double(pings) / 2
        return Int(190 / half * (half - Double(pair))) + 50
    }
}
