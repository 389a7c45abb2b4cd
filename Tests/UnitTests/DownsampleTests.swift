import Downsampling
import Foundation
import LineProtocol
import EventModel
import PipelineRuntime
import SmokeflowTesting
import Testing

/// The downsampling engine and the `downsample` transform, without servers.
@Suite struct DownsampleTests {
    static let hour: Int64 = 3_600_000_000_000
    static let base: Int64 = 1_764_374_400_000_000_000  // a whole day

    static func round(_ minute: Int64, median: Double?, pings: [Double], lost: Int, series: String = "a") -> Point {
        var fields: [Point.Field] = []
        if let median { fields.append(.init("median", .float(median))) }
        for (index, value) in pings.enumerated() { fields.append(.init("ping_\(index + 1)", .float(value))) }
        let count = pings.count + lost
        fields += [.init("loss", .float(Double(lost) / Double(count) * 100)), .init("lost", .float(Double(lost))), .init("pings", .int(Int64(count)))]
        return Point(measurement: "latency", tags: [.init("target", series)], fields: fields, timestamp: base + minute * 60_000_000_000)
    }

    func float(_ point: Point, _ key: String) -> Double? {
        if case .float(let value)? = point.field(key) { return value }
        return nil
    }

    @Test func nearestRankPercentileMatchesInfluxQL() {
        // InfluxQL: index floor(n·p/100 + 0.5) − 1 of the sorted values; none outside.
        let values = (1...10).map(Double.init)
        #expect(NearestRankPercentile.value(sorted: values, percentile: 50) == 5)
        #expect(NearestRankPercentile.value(sorted: values, percentile: 95) == 10)
        #expect(NearestRankPercentile.value(sorted: values, percentile: 5) == 1)
        #expect(NearestRankPercentile.value(sorted: [1, 2, 3], percentile: 5) == nil)
        #expect(NearestRankPercentile.value(sorted: [1, 2, 3], percentile: 100) == 3)
    }

    @Test func hourlyAggregatesPooledPercentilesAndSumBasedLoss() throws {
        var engine = Downsampler(rules: DownsampleRules(window: Self.hour, measurements: ["latency": "latency_1h"]))
        #expect(engine.add(Self.round(5, median: 10, pings: [9, 10, 11], lost: 1)) == .accepted)
        #expect(engine.add(Self.round(10, median: 20, pings: [19, 20, 21, 22], lost: 0)) == .accepted)
        #expect(engine.add(Self.round(15, median: nil, pings: [], lost: 4)) == .accepted)
        #expect(engine.advance().isEmpty)
        #expect(engine.add(Self.round(65, median: 30, pings: [30], lost: 0)) == .accepted)
        let out = engine.advance()
        try #require(out.count == 1)
        let point = out[0]
        #expect(point.measurement == "latency_1h")
        #expect(point.timestamp == Self.base + Self.hour)  // stamped at the window's end
        #expect(float(point, "median") == 15)
        #expect(float(point, "median_min") == 10 && float(point, "median_max") == 20)
        #expect(point.field("median_count") == .int(2))
        // Σlost = 5 of Σpings = 4 + 4 + 4 = 12 pings: 41.67 %, not the mean of 25, 0, 100.
        #expect(abs((float(point, "loss") ?? .nan) - 500.0 / 12) < 1e-12)
        #expect(abs((float(point, "lost") ?? .nan) - 5.0 / 3) < 1e-12)
        // Pooled pings 9 10 11 19 20 21 22: p50 = index floor(3.5+0.5)−1 = 3 → 19.
        #expect(float(point, "ping_p50") == 19)
        #expect(float(point, "ping_p95") == 22)
        #expect(point.field("ping_p5") == nil)  // floor(0.35 + 0.5) − 1 < 0, as InfluxQL
        #expect(point.field("pings") == .int(4))
        #expect(point.tags == [.init("target", "a")])
    }

    @Test func lateDataIsDroppedOrUpdatesTheWindow() {
        var rules = DownsampleRules(window: Self.hour, measurements: ["latency": "latency_1h"])
        rules.allowedLateness = 10 * 60_000_000_000
        var engine = Downsampler(rules: rules)
        _ = engine.add(Self.round(50, median: 10, pings: [10], lost: 0))
        _ = engine.add(Self.round(65, median: 10, pings: [10], lost: 0))
        #expect(engine.advance().isEmpty)  // watermark 0:55 < 1:00
        #expect(engine.add(Self.round(55, median: 40, pings: [40], lost: 0)) == .accepted)  // within the lateness
        _ = engine.add(Self.round(75, median: 10, pings: [10], lost: 0))
        let closed = engine.advance()
        #expect(closed.count == 1 && closed.first.flatMap { float($0, "median") } == 25)
        #expect(engine.add(Self.round(58, median: 99, pings: [99], lost: 0)) == .late)
        #expect(engine.lateDropped == 1)

        rules.lateData = .update
        var updating = Downsampler(rules: rules)
        for minute: Int64 in [50, 65, 75] { _ = updating.add(Self.round(minute, median: 10, pings: [10], lost: 0)) }
        #expect(updating.advance().count == 1)
        #expect(updating.add(Self.round(58, median: 40, pings: [40], lost: 0)) == .corrected)
        let again = updating.advance()
        #expect(again.count == 1 && again.first.flatMap { float($0, "median") } == 25 && again.first?.timestamp == Self.base + Self.hour)
        #expect(updating.lateDropped == 0)
    }

    @Test func seriesKeepTheirOwnWatermark() {
        // An RRD backfill reads one file's whole history, then the next: series b's old rounds are not late.
        var engine = Downsampler(rules: DownsampleRules(window: Self.hour, measurements: ["latency": "latency_1h"]))
        for minute in stride(from: Int64(0), to: 600, by: 5) { _ = engine.add(Self.round(minute, median: 1, pings: [1], lost: 0, series: "a")) }
        #expect(engine.advance().count == 9)
        for minute in stride(from: Int64(0), to: 600, by: 5) {
            #expect(engine.add(Self.round(minute, median: 2, pings: [2], lost: 0, series: "b")) == .accepted)
        }
        #expect(engine.advance().count == 9)
        #expect(engine.flushAll().count == 2)
    }

    @Test func idleSeriesAreClosedByTheNewestSeriesAndStartStampsWork() {
        var rules = DownsampleRules(window: Self.hour, measurements: ["latency": "latency_1h"])
        rules.stamp = .start
        var engine = Downsampler(rules: rules)
        engine.idleTimeout = 2 * Self.hour
        _ = engine.add(Self.round(5, median: 1, pings: [1], lost: 0, series: "gone"))
        for minute in stride(from: Int64(0), through: 120, by: 5) { _ = engine.add(Self.round(minute, median: 2, pings: [2], lost: 0, series: "live")) }
        #expect(engine.advance().map { $0.tag("target") } == ["live", "live"])  // "gone" is 1h55m behind: not idle yet
        _ = engine.add(Self.round(130, median: 2, pings: [2], lost: 0, series: "live"))
        let closed = engine.advance()
        #expect(closed.map { $0.tag("target") } == ["gone"])
        #expect(closed.first?.timestamp == Self.base)  // stamped at the window's start
    }

    @Test func snapshotRestoresWindowsInProgress() throws {
        let rules = DownsampleRules(window: Self.hour, measurements: ["latency": "latency_1h"])
        var whole = Downsampler(rules: rules)
        var first = Downsampler(rules: rules)
        let rounds = (0..<30).map { Self.round(Int64($0) * 5, median: Double($0), pings: [Double($0), 1], lost: $0 % 3) }
        var expected: [Point] = []
        for point in rounds { _ = whole.add(point); expected += whole.advance() }
        var got: [Point] = []
        for point in rounds[..<17] { _ = first.add(point); got += first.advance() }
        var second = try Downsampler(rules: rules, restoring: try first.encodedSnapshot())
        for point in rounds[17...] { _ = second.add(point); got += second.advance() }
        #expect(got == expected && got.count == 2)
        var otherWindow = rules
        otherWindow.window = 2 * Self.hour
        #expect(throws: Downsampler.IncompatibleSnapshot.self) { try Downsampler(rules: otherWindow, restoring: try first.encodedSnapshot()) }
    }

    @Test func rrdModeAppliesTheXffRule() throws {
        var rules = DownsampleRules(window: Self.hour, measurements: ["latency": "latency_1h"])
        rules.mode = .rrd
        var engine = Downsampler(rules: rules)
        // Rows stamped at the end of their 5-minute interval: (0:00, 1:00] holds 0:05 … 1:00.
        for step in 1...12 {
            var point = Self.round(Int64(step) * 5, median: Double(step), pings: [Double(step)], lost: 0)
            if step > 6 { point.fields.removeAll { $0.key == "ping_1" } }  // 6 of 12 unknown: still known (xff 0.5)
            if step > 5 { point.fields.removeAll { $0.key == "loss" } }  // 7 of 12 unknown: unknown
            _ = engine.add(point)
        }
        let out = engine.flushAll()
        try #require(out.count == 1)
        #expect(out[0].timestamp == Self.base + Self.hour)
        #expect(float(out[0], "median") == 6.5 && float(out[0], "median_min") == 1 && float(out[0], "median_max") == 12)
        #expect(float(out[0], "ping_1") == 3.5 && float(out[0], "ping_1_max") == 6)
        #expect(out[0].field("loss") == nil && out[0].field("loss_min") == nil)
    }
}
