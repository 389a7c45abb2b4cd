@testable import Components
import EventModel
import Foundation
import JobScheduler
import Logging
import NIOCore
import PipelineConfig
import Testing

/// The one conversion of each kind: durations to nanoseconds, floor division, and times in
/// pipeline files and on the command line; and the places that used to truncate to seconds.
@Suite struct TimeConversionTests {
    @Test func durationsToNanosecondsSaturate() {
        #expect(Duration.milliseconds(500).nanoseconds == 500_000_000)
        #expect(Duration.seconds(300).nanoseconds == 300_000_000_000)
        #expect(Duration.nanoseconds(7).nanoseconds == 7)
        #expect(Duration.milliseconds(-1500).nanoseconds == -1_500_000_000)
        #expect(Duration.seconds(Int64.max).nanoseconds == .max)
        #expect(Duration.seconds(Int64.min).nanoseconds == .min)
    }

    @Test func floorDivisionRoundsTowardMinusInfinity() {
        #expect(Int64(599).floorDivided(by: 300) == 1)
        #expect(Int64(-1).floorDivided(by: 300) == -1)
        #expect(Int64(-300).floorDivided(by: 300) == -1)
        #expect(Int64(-301).floorDivided(by: 300) == -2)
        #expect((-1).roundedDown(toMultipleOf: 300) == -300)
        #expect(600.roundedDown(toMultipleOf: 300) == 600)
        #expect(Int64(1_234_567_891).roundedDown(toMultipleOf: 1_000_000_000) == 1_000_000_000)
    }

    @Test func timesInEveryAcceptedForm() {
        let day: Int64 = 1_738_281_600  // 2025-01-31T00:00:00Z
        #expect(OptionsReader.parseTime("2025-01-31", as: .seconds) == day)
        #expect(OptionsReader.parseTime("2025-01-31T00:00:00Z", as: .seconds) == day)
        #expect(OptionsReader.parseTime("2025-01-31T01:00:00+01:00", as: .seconds) == day)
        #expect(OptionsReader.parseTime("1738281600", as: .seconds) == day)
        #expect(OptionsReader.parseTime("2025-01-31", as: .nanoseconds) == day * 1_000_000_000)
        #expect(OptionsReader.parseTime("1738281600000000000", as: .nanoseconds) == day * 1_000_000_000)
        #expect(OptionsReader.parseTime("1738281600", as: .nanoseconds, integersIn: .seconds) == day * 1_000_000_000)
        #expect(OptionsReader.parseTime("-1", as: .nanoseconds, integersIn: .seconds) == -1_000_000_000)
        #expect(OptionsReader.parseTime("yesterday", as: .seconds) == nil)
        #expect(OptionsReader.parseTime("2025-13-01", as: .seconds) == nil)
        // Does not fit in 64 bits as nanoseconds: refused, not a crash.
        #expect(OptionsReader.parseTime("99999999999", as: .nanoseconds, integersIn: .seconds) == nil)
    }

    @Test func rrdAndInfluxQueryReadTheSameForms() throws {
        var rrd = OptionsReader.scalars([("path", "/x"), ("since", "2025-01-31"), ("until", "2025-01-31T01:00:00Z")])
        let source = RRDSourceConfiguration(options: &rrd)
        try rrd.finish()
        #expect(source.since == 1_738_281_600 && source.until == 1_738_285_200)
        // influx_query took no plain date before.
        var query = OptionsReader.scalars([("database", "db"), ("from", "2025-01-31"), ("to", "1738285200000000000")])
        let influx = InfluxQueryConfiguration(options: &query)
        try query.finish()
        #expect(influx.from == 1_738_281_600_000_000_000 && influx.to == 1_738_285_200_000_000_000)
        var bad = OptionsReader.scalars([("database", "db"), ("from", "soon")])
        _ = InfluxQueryConfiguration(options: &bad)
        #expect(bad.errors.map(\.message) == ["option 'from' must be nanoseconds since 1970 or an ISO 8601 time such as 2025-01-31T00:00:00Z or 2025-01-31"])
    }

    /// The bug of issue 10: `request_timeout: 500ms` became `TimeAmount.seconds(0)`.
    @Test func influxQueryKeepsASubSecondRequestTimeout() throws {
        var options = OptionsReader.scalars([("database", "db"), ("request_timeout", "500ms")])
        let configuration = InfluxQueryConfiguration(options: &options)
        try options.finish()
        #expect(try InfluxQuerySource(configuration: configuration).requestTimeout == .milliseconds(500))
        var longer = OptionsReader.scalars([("database", "db"), ("request_timeout", "1.5s")])
        #expect(try InfluxQuerySource(configuration: InfluxQueryConfiguration(options: &longer)).requestTimeout == .milliseconds(1500))
    }

    static func job(window: String, lag: String) throws -> (JobDefinition, JobRunner) {
        let text = """
            sources:
              nothing: { type: fixture, path: x.lp.zst }
            sinks:
              out: { type: stdout, inputs: [nothing] }
            jobs:
              fine:
                schedule: "@hourly"
                window: \(window)
                lag: \(lag)
                source: { type: influx_query, url: "http://127.0.0.1:1", database: db }
                sink: { type: stdout }
            """
        let definition = try PipelineLoader(environment: [:]).load(text: text, file: "jobs.yaml")
        let job = try #require(try JobDefinition.read(definition).first)
        return (job, try JobRunner(job: job, file: "jobs.yaml", registry: .builtin, checkpoints: nil, logger: Logger(label: "test")))
    }

    /// A job's window and lag were cut to whole seconds: 1.5 s windows ran as 1 s ones, a
    /// 500 ms lag was none.
    @Test func jobWindowsAndLagKeepTheirFractionOfASecond() async throws {
        let (_, runner) = try Self.job(window: "1500ms", lag: "500ms")
        let second: Int64 = 1_000_000_000
        #expect(runner.windows(from: 0, to: 3 * second).map { [$0.from, $0.to] } == [[0, 1_500_000_000], [1_500_000_000, 3 * second]])
        // The default downsample gets the window as written (it was formatted as "1s").
        let transform = try runner.pipeline(from: 0, to: 1).components[1]
        #expect(transform.options.first { $0.key.scalar == "window" }?.value.scalar == "1500ms")
        // At 30 s, the window [28.5 s, 30 s) ended 0 s ago, less than the lag: [27 s, 28.5 s) is the last due.
        let due = try await runner.dueWindows(now: Date(timeIntervalSince1970: 30))
        #expect(due.map { [$0.from, $0.to] } == [[27 * second, 28_500_000_000]])
    }

    @Test func aJobWindowUnderASecondIsStillRefused() throws {
        #expect(throws: ConfigErrors.self) { try Self.job(window: "500ms", lag: "0s") }
    }
}

extension OptionsReader {
    /// A component's options given as `key: value` scalars, for tests of one configuration.
    static func scalars(_ pairs: [(String, String)]) -> OptionsReader {
        let here = SourceLocation(file: "test.yaml", line: 1, column: 1)
        return OptionsReader(
            componentID: "test", location: here, pairs: pairs.map { (ConfigNode(.scalar($0.0), at: here), ConfigNode(.scalar($0.1), at: here)) })
    }
}
