import Downsampling
import Foundation
import EventModel
import PipelineRuntime
import SmokeflowTesting
import Testing
import Zstd

/// The downsampler under bad data and restarts (review C5, C6, H8, X2, X3, L1): nothing it is
/// fed may crash it, make its state unsavable or stop its windows for good.
@Suite struct DownsampleRobustnessTests {
    static let hour = DownsampleTests.hour
    static let base = DownsampleTests.base
    static let rules = DownsampleRules(window: hour, measurements: ["latency": "latency_1h"])

    static func round(_ minute: Int64, median: Double, series: String = "a") -> Point {
        DownsampleTests.round(minute, median: median, pings: [median], lost: 0, series: series)
    }

    /// C6: one point a year ahead must not close the windows of its series or of the others.
    @Test func aFutureStampedPointIsDroppedAndClosesNoWindow() {
        var engine = Downsampler(rules: Self.rules)
        engine.idleTimeout = Self.hour
        engine.futureLimit = Self.base + 2 * Self.hour
        #expect(engine.add(Self.round(0, median: 10)) == .accepted)
        #expect(engine.add(Self.round(365 * 24 * 60, median: 99)) == .future)
        #expect(engine.futureDropped == 1)
        #expect(engine.add(Self.round(1, median: 20, series: "b")) == .accepted)
        #expect(engine.advance().isEmpty, "no window is complete yet")
        #expect(engine.add(Self.round(10, median: 30)) == .accepted, "not late")
        #expect(engine.add(Self.round(11, median: 40, series: "b")) == .accepted, "not closed as idle")
    }

    /// H8: inf and NaN never reach the statistics, so the state still encodes as JSON.
    @Test func nonFiniteValuesLeaveTheStateSavable() throws {
        var engine = Downsampler(rules: Self.rules)
        #expect(engine.add(Self.round(0, median: .infinity)) == .accepted)
        #expect(engine.add(Self.round(1, median: .nan)) == .accepted)
        #expect(engine.add(Self.round(2, median: 1e308)) == .accepted)
        #expect(engine.add(Self.round(3, median: 1e308)) == .accepted)  // the sum would overflow
        let data = try engine.encodedSnapshot()
        var restored = try Downsampler(rules: Self.rules, restoring: data)
        let out = restored.flushAll()
        try #require(out.count == 1)
        if case .float(let mean) = out[0].field("median") { #expect(mean == 1e308) } else { Issue.record("no median: \(out[0].fields)") }
    }

    /// X2: a restore after `fields:` changed keeps each field's statistics by name. In a
    /// process of its own: before the fix the restored slots were indexed out of range (a trap).
    @Test func aRestoreAfterAFieldsChangeFollowsTheFieldsByName() async throws {
        let problems = try await TestSubprocess.run("downsample-fields", filter: "DownsampleRobustnessTests/fieldsChangeChild")
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test(.enabled(if: TestSubprocess.isChild("downsample-fields")))
    func fieldsChangeChild() throws {
        var before = Self.rules
        before.fields = [("median", [.mean])]
        var engine = Downsampler(rules: before)
        _ = engine.add(Self.round(0, median: 10))
        var after = Self.rules
        after.fields = [("loss", [.mean]), ("median", [.mean, .max])]
        var restored = try Downsampler(rules: after, restoring: try engine.encodedSnapshot())
        _ = restored.add(Self.round(1, median: 30))
        let out = restored.flushAll()
        var problems: [String] = []
        if out.count != 1 { problems.append("\(out.count) windows instead of 1") }
        if let point = out.first {
            if point.field("median") != .float(20) || point.field("median_max") != .float(30) { problems.append("median: \(point.fields)") }
            if point.field("loss") != .float(0) { problems.append("loss: \(point.fields)") }
        }
        try TestSubprocess.report(problems)
    }

    /// L1: a series nothing arrived for during forget_after is emitted and forgotten.
    @Test func silentSeriesAreEmittedAndForgotten() {
        var engine = Downsampler(rules: Self.rules)
        engine.processingTime = 0
        _ = engine.add(Self.round(0, median: 10, series: "gone"))
        engine.processingTime = 100
        _ = engine.add(Self.round(0, median: 20, series: "live"))
        let forgotten = engine.forgetSilentSeries(before: 50)
        #expect(forgotten.map { $0.tag("target") } == ["gone"])
        #expect(engine.activeSeries == 1)
        #expect(engine.forgetSilentSeries(before: 50).isEmpty)
    }

    /// X3: stamps and counts at the edges of Int64 are data, not a reason to trap. In a
    /// process of its own: before the fix each of these trapped.
    @Test func edgeValuesDoNotTrap() async throws {
        let problems = try await TestSubprocess.run("downsample-edges", filter: "DownsampleRobustnessTests/edgeValuesChild")
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test(.enabled(if: TestSubprocess.isChild("downsample-edges")))
    func edgeValuesChild() throws {
        var problems: [String] = []
        var engine = Downsampler(rules: Self.rules)
        let nearEnd = Point(measurement: "latency", fields: [.init("median", .float(1))], timestamp: .max - 1)
        if engine.add(nearEnd) != .accepted { problems.append("a stamp near Int64.max was not accepted") }
        if engine.flushAll().count != 1 { problems.append("the window near Int64.max was not emitted") }
        var rrd = Self.rules
        rrd.mode = .rrd
        var consolidating = Downsampler(rules: rrd)
        _ = consolidating.add(Point(measurement: "latency", fields: [.init("median", .float(1))], timestamp: .min))
        _ = consolidating.flushAll()
        var counting = Downsampler(rules: Self.rules)
        for minute in 0..<2 {
            let point = Point(
                measurement: "latency", fields: [.init("lost", .float(0)), .init("pings", .int(.max))], timestamp: Self.base + Int64(minute))
            _ = counting.add(point)
        }
        _ = counting.flushAll()
        try TestSubprocess.report(problems)
    }

    /// C5: with input that carries no acknowledgements (probes, fixtures), the window state is
    /// still stored every checkpoint_interval, not only when the input ends.
    @Test func theStateIsStoredWhileTheInputRunsWithoutAcknowledgements() async throws {
        let state = temporaryDirectory()
        // Two rounds 100 s apart, replayed in real time: the run waits between them.
        let fixture = state + "/rounds.lp.zst"
        let text = "latency,target=a median=1 \(Self.base)\nlatency,target=a median=2 \(Self.base + 100_000_000_000)\n"
        let compressor = try ZstdCompressor(level: 3)
        var compressed = Data()
        try Data(text.utf8).withUnsafeBytes { try compressor.compress($0, end: true) { compressed.append(contentsOf: $0) } }
        try compressed.write(to: URL(fileURLWithPath: fixture))
        let (key, _) = Observer.make()
        let run = Task {
            try await runPipeline("""
                state_dir: \(state)
                sources:
                  rounds: { type: fixture, path: \(fixture), speed: 1 }
                transforms:
                  hourly: { type: downsample, inputs: [rounds], window: 1h, checkpoint_interval: 100ms }
                sinks:
                  out: { type: collect, inputs: [hourly], probe: \(key) }
                """) { $0.once = false }
        }
        let stored = await eventually(within: .seconds(60)) { FileManager.default.fileExists(atPath: state + "/downsample-hourly.json") }
        run.cancel()
        _ = try? await run.value
        #expect(stored, "no state stored while the input ran")
    }
}
