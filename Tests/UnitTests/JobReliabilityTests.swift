import EventModel
import Foundation
@testable import JobScheduler
import Logging
import PipelineConfig
import PipelineRuntime
import SmokeflowTesting
import Synchronization
import Testing

/// `type: window_points` — a job source for tests: sends the points of `WindowPoints[key]`
/// stamped in `[from, to)`, one batch each; with `pause`, sleeps that long after the first batch.
struct WindowPointsConfiguration: RangedSourceConfiguration {
    static let typeName = "window_points"
    var key: String
    var from: Int64
    var to: Int64
    var pause: Duration

    init(options: inout OptionsReader) {
        key = options.requiredString("key")
        from = Int64(options.string("from") ?? "") ?? .min
        to = Int64(options.string("to") ?? "") ?? .max
        pause = options.duration("pause", default: .zero)
    }

    static func rangeOptions(from: Int64, to: Int64) -> [WindowOption] {
        [WindowOption("from", "\(from)"), WindowOption("to", "\(to)")]
    }

    func build(_ context: BuildContext) throws -> WindowPointsSource { WindowPointsSource(configuration: self) }
}

struct WindowPointsSource: Source {
    let configuration: WindowPointsConfiguration

    func run(context: StageContext, output: StageOutput) async throws {
        let points = WindowPoints.points(configuration.key).filter { (configuration.from..<configuration.to).contains($0.timestamp) }
        for (index, point) in points.enumerated() {
            try await output.send(Batch(points: [point]))
            WindowPoints.sent(configuration.key)
            if index == 0, configuration.pause > .zero { try await Task.sleep(for: configuration.pause) }
        }
    }
}

/// The points a `window_points` source reads, by key; a test adds points as "time passes".
enum WindowPoints {
    private static let store = Mutex<[String: (points: [Point], sent: Int)]>([:])

    static func add(_ key: String, _ points: [Point]) { store.withLock { $0[key, default: ([], 0)].points += points } }
    static func points(_ key: String) -> [Point] { store.withLock { $0[key]?.points ?? [] } }
    static func sent(_ key: String) { store.withLock { $0[key, default: ([], 0)].sent += 1 } }
    static func sentCount(_ key: String) -> Int { store.withLock { $0[key]?.sent ?? 0 } }
}

@Suite(.timeLimit(.minutes(2)))
struct JobReliabilityTests {
    static let hour: Int64 = 3_600_000_000_000
    /// 2025-01-01T00:00:00Z, in nanoseconds.
    static let t0: Int64 = 1_735_689_600_000_000_000

    static func date(_ nanoseconds: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(nanoseconds / 1_000_000_000)) }

    /// Latency rounds every 5 minutes in `[from, to)`.
    static func rounds(from: Int64, to: Int64) -> [Point] {
        stride(from: from, to: to, by: 300_000_000_000).map { stamp in
            Point(measurement: "latency", tags: [.init("target", "a")], fields: [.init("median", .float(10))], timestamp: stamp)
        }
    }

    static func runner(
        source: String, sink: String, storage: (any CheckpointStorage)?, logger: Logger = Logger(label: "test"), start: String? = nil
    ) throws -> JobRunner {
        var registry = ComponentRegistry.testing
        registry.register(WindowPointsConfiguration.self)
        let text = """
            jobs:
              hourly:
                schedule: "@hourly"
                window: 1h
                lag: 0s
            \(start.map { "    start: \"\($0)\"\n" } ?? "")    source: \(source)
                transform: { type: downsample, window: 1h, measurements: { latency: latency_1h }, fields: { median: [mean] }, percentiles: [] }
                sink: \(sink)
            """
        let definition = try PipelineLoader(environment: [:]).load(text: text, file: "jobs.yaml")
        let job = try #require(try JobDefinition.read(definition).first)
        return try JobRunner(job: job, file: "jobs.yaml", registry: registry, checkpoints: storage, logger: logger)
    }

    /// Review C7: a clock that was days ahead saved the progress days ahead; once the clock is
    /// back, the windows since the jump run (before: none until the clock passed the progress).
    @Test func progressSavedUnderAClockThatWasAheadIsRunAgainWhenTheClockComesBack() async throws {
        let key = UUID().uuidString
        let (probe, observer) = Observer.make()
        let storage = MemoryCheckpointStorage()
        let capture = LogCapture()
        let runner = try Self.runner(
            source: "{ type: window_points, key: \(key) }", sink: "{ type: collect, probe: \(probe) }", storage: storage, logger: capture.logger)
        WindowPoints.add(key, Self.rounds(from: Self.t0, to: Self.t0 + 3 * Self.hour))
        #expect(try await runner.catchUp(now: Self.date(Self.t0 + 2 * Self.hour)) == 1)
        // The clock jumps three days ahead (a bad NTP server, an RTC at boot): the windows up to
        // then "complete", empty.
        #expect(try await runner.catchUp(now: Self.date(Self.t0 + 2 * Self.hour + 72 * Self.hour)) == 72)
        // The clock is right again; the rounds of the next hour arrive.
        WindowPoints.add(key, Self.rounds(from: Self.t0 + 3 * Self.hour, to: Self.t0 + 4 * Self.hour))
        let ran = try await runner.catchUp(now: Self.date(Self.t0 + 4 * Self.hour))
        #expect(ran == 2, "the windows from the jump on run again")
        let stamps = Set(observer.received.withLock { $0 }.map(\.timestamp))
        #expect(stamps.contains(Self.t0 + 4 * Self.hour), "the rollup of [03:00, 04:00) is written")
        #expect(try await runner.loadProgress()?.doneUntil == Self.t0 + 4 * Self.hour)
        #expect(capture.messages(.warning).contains { $0.contains("ahead of the clock") && $0.contains("run again") })
        // A clock stepped back by less than a day leaves the progress alone: nothing runs twice.
        #expect(try await runner.catchUp(now: Self.date(Self.t0 + 2 * Self.hour)) == 0)
        #expect(try await runner.loadProgress()?.doneUntil == Self.t0 + 4 * Self.hour)
    }

    /// Review S1: cancelling a catch-up while a window runs must not record the window as done.
    /// (Before, it was not recorded either, the runtime reports the cancelled stages, but the
    /// catch-up failed with "transform …: cancelled: the shutdown did not drain within 30 s",
    /// which the scheduler logs as a job error on every SIGTERM; now it is a CancellationError.)
    @Test func aCancelledWindowIsNotSavedAsDone() async throws {
        let key = UUID().uuidString
        let (probe, _) = Observer.make()
        let storage = MemoryCheckpointStorage()
        let runner = try Self.runner(
            source: "{ type: window_points, key: \(key), pause: 60s }", sink: "{ type: collect, probe: \(probe) }", storage: storage)
        WindowPoints.add(key, Self.rounds(from: Self.t0, to: Self.t0 + 2 * Self.hour))
        let task = Task { try await runner.catchUp(now: Self.date(Self.t0 + 2 * Self.hour)) }
        // Cancelled once the window's source has sent its first round and is pausing.
        let deadline = ContinuousClock.now + .seconds(60)
        while WindowPoints.sentCount(key) == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try #require(WindowPoints.sentCount(key) > 0)
        task.cancel()
        let outcome = await task.result
        #expect(throws: CancellationError.self) { try outcome.get() }
        #expect(try await runner.loadProgress() == nil, "the window [01:00, 02:00) was cut short: it is not done")
    }

    /// Review C14: one unreadable RRD file does not hold every later window; each window is
    /// done for the good files, and the bad one is reported with its path each time.
    @Test func aBadRRDFileIsReportedPerWindowAndTheJobMovesOn() async throws {
        let tree = SmokePingTree()
        let good = try await tree.create("Core/good.rrd", archives: RRDConsolidationTests.archives)
        try await tree.update(good, rounds: 0..<600, seed: 5)
        let bad = tree.root + "/Core/bad.rrd"
        try Data("not an rrd".utf8).write(to: URL(fileURLWithPath: bad))
        let (probe, observer) = Observer.make()
        let storage = MemoryCheckpointStorage()
        let capture = LogCapture()
        let start = Int64(SmokePingTree.start) * 1_000_000_000 + 10 * Self.hour
        var registry = ComponentRegistry.testing
        registry.register(WindowPointsConfiguration.self)
        let text = """
            jobs:
              rrd-hourly:
                schedule: "@hourly"
                window: 1h
                lag: 0s
                start: "\(start / 1_000_000_000)"
                source: { type: rrd, path: \(tree.root) }
                transform: { type: downsample, mode: rrd, window: 1h, measurements: { latency: latency_1h } }
                sink: { type: collect, probe: \(probe) }
            """
        let definition = try PipelineLoader(environment: [:]).load(text: text, file: "jobs.yaml")
        let job = try #require(try JobDefinition.read(definition).first)
        let runner = try JobRunner(job: job, file: "jobs.yaml", registry: registry, checkpoints: storage, logger: capture.logger)
        let ran = try await runner.catchUp(now: Self.date(start + 3 * Self.hour))
        #expect(ran == 3)
        #expect(try await runner.loadProgress()?.doneUntil == start + 3 * Self.hour)
        let rollups = observer.received.withLock { $0 }
        #expect(Set(rollups.map(\.timestamp)) == [start + Self.hour, start + 2 * Self.hour, start + 3 * Self.hour])
        #expect(rollups.allSatisfy { $0.tag("target") == "good" })
        let errors = capture.messages(.error).filter { $0.contains("\(bad): ") && $0.contains("its rollups for this window are missing") }
        #expect(errors.count == 3, "\(capture.messages(.error))")
    }
}

/// Review S2: the hour a fall-back repeats, and the hour a spring-forward skips.
@Suite struct CronDaylightSavingTests {
    static func date(_ text: String) -> Date? { ISO8601DateFormatter().date(from: text) }

    @Test func theRepeatedHourOfAFallBackDoesNotLoop() throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        let daily = try CronSchedule("0 3 * * *", timeZone: berlin)
        // 03:00 CET on 2025-10-26, the day 02:00-03:00 comes twice.
        #expect(daily.next(after: try #require(Self.date("2025-10-25T01:30:00Z"))) == Self.date("2025-10-26T02:00:00Z"))
        let hourly = try CronSchedule("@hourly", timeZone: berlin)
        // 02:00 CEST, then 02:00 CET, then 03:00 CET.
        #expect(hourly.next(after: try #require(Self.date("2025-10-25T23:30:00Z"))) == Self.date("2025-10-26T00:00:00Z"))
        #expect(hourly.next(after: try #require(Self.date("2025-10-26T00:30:00Z"))) == Self.date("2025-10-26T01:00:00Z"))
        #expect(hourly.next(after: try #require(Self.date("2025-10-26T01:30:00Z"))) == Self.date("2025-10-26T02:00:00Z"))
    }

    @Test func theSkippedHourOfASpringForwardIsSkipped() throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        // 2025-03-30: 02:00 CET becomes 03:00 CEST.
        let three = try CronSchedule("0 3 * * *", timeZone: berlin)
        #expect(three.next(after: try #require(Self.date("2025-03-29T12:00:00Z"))) == Self.date("2025-03-30T01:00:00Z"))
        // 02:30 does not exist that day: the next is 02:30 CEST the day after.
        let halfPastTwo = try CronSchedule("30 2 * * *", timeZone: berlin)
        #expect(halfPastTwo.next(after: try #require(Self.date("2025-03-29T12:00:00Z"))) == Self.date("2025-03-31T00:30:00Z"))
        let hourly = try CronSchedule("@hourly", timeZone: berlin)
        #expect(hourly.next(after: try #require(Self.date("2025-03-30T00:30:00Z"))) == Self.date("2025-03-30T01:00:00Z"))
    }
}
