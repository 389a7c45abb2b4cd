import Foundation
import EventModel

/// Running statistics of one field in one window. Sums are plain sequential additions in
/// arrival order, as InfluxQL's `mean()` and librrd's AVERAGE accumulate.
public struct FieldStats: Sendable, Codable, Equatable {
    public var sum = 0.0
    /// Meaningful once `count > 0`. Finite always (non-finite values and a sum that would
    /// overflow are left out), so the state encodes as JSON.
    public var min = 0.0
    public var max = 0.0
    public var count = 0

    @inlinable
    public mutating func add(_ value: Double) {
        let next = sum + value
        guard next.isFinite else { return }
        sum = next
        if count == 0 || value < min { min = value }
        if count == 0 || value > max { max = value }
        count += 1
    }

    public func value(_ aggregate: DownsampleRules.Aggregate) -> Double {
        switch aggregate {
        case .mean: sum / Double(count)
        case .min: min
        case .max: max
        case .count: Double(count)
        case .sum: sum
        }
    }
}

/// Everything one series keeps about one window.
public struct WindowAccumulator: Sendable, Codable, Equatable {
    /// Per float field (`rrd` mode).
    public var stats: [String: FieldStats] = [:]
    /// Per field of `rules.fields`, in its order (`aggregate` mode): no hashing per point.
    public var slots: [FieldStats] = []
    /// Every `ping_<n>` value of the window, unsorted, for the pooled percentiles.
    public var pooled: [Double] = []
    /// Σlost and Σpings over rounds that carry both.
    public var lostSum = 0.0
    public var pingsSum: Int64 = 0
    /// Pings per round (the largest seen), written back as the integer `pings`.
    public var pingsPerRound: Int64?
    /// Rounds folded in.
    public var rounds = 0

    public init() {}

    enum CodingKeys: String, CodingKey { case stats, slots, pooled, lostSum, pingsSum, pingsPerRound, rounds }

    /// The pooled values as raw little-endian doubles (base64 in JSON): a quarter of the text
    /// of a number list, and exact.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(stats, forKey: .stats)
        try container.encode(slots, forKey: .slots)
        try container.encode(pooled.withUnsafeBufferPointer { Data(buffer: $0) }, forKey: .pooled)
        try container.encode(lostSum, forKey: .lostSum)
        try container.encode(pingsSum, forKey: .pingsSum)
        try container.encodeIfPresent(pingsPerRound, forKey: .pingsPerRound)
        try container.encode(rounds, forKey: .rounds)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        stats = try container.decode([String: FieldStats].self, forKey: .stats)
        slots = try container.decode([FieldStats].self, forKey: .slots)
        let bytes = try container.decode(Data.self, forKey: .pooled)
        pooled = bytes.withUnsafeBytes { raw in (0..<raw.count / 8).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self) } }
        lostSum = try container.decode(Double.self, forKey: .lostSum)
        pingsSum = try container.decode(Int64.self, forKey: .pingsSum)
        pingsPerRound = try container.decodeIfPresent(Int64.self, forKey: .pingsPerRound)
        rounds = try container.decode(Int.self, forKey: .rounds)
    }

    mutating func add(_ point: Point, rules: DownsampleRules) {
        // The two names once per point, not once per field.
        let lostName = LatencySchema.Field.lost
        let pingsName = LatencySchema.Field.pings
        rounds += 1
        var lost: Double?
        var pings: Int64?
        for field in point.fields {
            switch field.value {
            case .float(let value):
                // inf and NaN are no measurement, and would make the state unsavable.
                guard value.isFinite else { continue }
                // Most fields of a round are ping_<n>: the cheap byte test first.
                if rules.mode == .aggregate, !rules.percentiles.isEmpty, rules.isPingField(field.key) {
                    pooled.append(value)
                    continue
                }
                if field.key == lostName { lost = value }
                if rules.mode == .rrd {
                    stats[field.key, default: FieldStats()].add(value)
                } else if let slot = rules.fields.firstIndex(where: { $0.name == field.key }) {
                    addToSlot(slot, value, rules: rules)
                }
            case .int(let value) where field.key == pingsName:
                pings = value
                pingsPerRound = Swift.max(pingsPerRound ?? value, value)
            case .int(let value):
                if rules.mode == .aggregate, let slot = rules.fields.firstIndex(where: { $0.name == field.key }) {
                    addToSlot(slot, Double(value), rules: rules)
                }
            default:
                continue
            }
        }
        if let lost, let pings, (lostSum + lost).isFinite {
            lostSum += lost
            pingsSum = pingsSum.addingSaturated(pings)
        }
    }

    private mutating func addToSlot(_ slot: Int, _ value: Double, rules: DownsampleRules) {
        if slots.count < rules.fields.count { slots += Array(repeating: FieldStats(), count: rules.fields.count - slots.count) }
        slots[slot].add(value)
    }

    /// The slots rearranged from the field order `old` to `new` (a restore after `fields:`
    /// changed): a field keeps its statistics by name, a new one starts empty.
    mutating func remapSlots(from old: [String], to new: [String]) {
        guard !slots.isEmpty, old != new else { return }
        let previous = slots
        slots = new.map { name in old.firstIndex(of: name).flatMap { $0 < previous.count ? previous[$0] : nil } ?? FieldStats() }
    }

    /// The window's output fields; empty when nothing is known.
    func fields(rules: DownsampleRules) -> [Point.Field] {
        switch rules.mode {
        case .aggregate: aggregateFields(rules)
        case .rrd: consolidatedFields(rules)
        }
    }

    private func aggregateFields(_ rules: DownsampleRules) -> [Point.Field] {
        var fields: [Point.Field] = []
        for (slot, (name, aggregates)) in rules.fields.enumerated() {
            guard slot < slots.count, case let stats = slots[slot], stats.count > 0 else { continue }
            for aggregate in aggregates {
                let value = stats.value(aggregate)
                fields.append(.init(aggregate.outputName(name), aggregate == .count ? .int(Int64(stats.count)) : .float(value)))
            }
        }
        if !pooled.isEmpty {
            let sorted = pooled.sorted()
            for percentile in rules.percentiles {
                if let value = NearestRankPercentile.value(sorted: sorted, percentile: percentile) {
                    fields.append(.init(rules.percentileName(percentile), .float(value)))
                }
            }
        }
        if rules.recomputeLoss, pingsSum > 0 {
            fields.append(.init(LatencySchema.Field.loss, .float(100 * lostSum / Double(pingsSum))))
        }
        guard !fields.isEmpty else { return [] }
        if let pingsPerRound { fields.append(.init(LatencySchema.Field.pings, .int(pingsPerRound))) }
        return fields
    }

    /// librrd's rule: a consolidated value is unknown when more than `xff` of the window's
    /// primary steps are unknown; otherwise AVERAGE is the mean of the known ones.
    private func consolidatedFields(_ rules: DownsampleRules) -> [Point.Field] {
        let steps = Int(rules.window / rules.step)
        var fields: [Point.Field] = []
        for name in stats.keys.sorted() {
            let stats = stats[name]!
            let unknown = steps - stats.count
            guard stats.count > 0, Double(unknown) <= Double(steps) * rules.xff else { continue }
            fields.append(.init(name, .float(stats.value(.mean))))
            fields.append(.init(name + LatencySchema.Field.minSuffix, .float(stats.min)))
            fields.append(.init(name + LatencySchema.Field.maxSuffix, .float(stats.max)))
        }
        guard !fields.isEmpty else { return [] }
        if let pingsPerRound { fields.append(.init(LatencySchema.Field.pings, .int(pingsPerRound))) }
        return fields
    }
}
