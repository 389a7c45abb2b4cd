import Downsampling
import LineProtocol
import Foundation
import JobScheduler
import Logging
import PipelineConfig
import SmokeflowComponents
import SmokeflowModel
import SmokeflowRuntime
import Testing

@Suite struct CronScheduleTests {
    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test func nextTimesInUTCAndInATimeZone() throws {
        let hourly = try CronSchedule("5 * * * *")
        #expect(hourly.next(after: Self.date("2025-11-29T08:04:59Z")) == Self.date("2025-11-29T08:05:00Z"))
        #expect(hourly.next(after: Self.date("2025-11-29T08:05:00Z")) == Self.date("2025-11-29T09:05:00Z"))
        let sundays = try CronSchedule("30 2 * * 0")
        #expect(sundays.next(after: Self.date("2025-11-29T08:00:00Z")) == Self.date("2025-11-30T02:30:00Z"))
        let steps = try CronSchedule("*/15 0-1 1 1,7 *")
        #expect(steps.next(after: Self.date("2025-11-29T08:00:00Z")) == Self.date("2026-01-01T00:00:00Z"))
        #expect(steps.next(after: Self.date("2026-01-01T01:45:00Z")) == Self.date("2026-07-01T00:00:00Z"))
        // 02:00 in Zurich is 01:00 UTC in winter and 00:00 UTC in summer.
        let zurich = try CronSchedule("0 2 * * *", timeZone: try #require(TimeZone(identifier: "Europe/Zurich")))
        #expect(zurich.next(after: Self.date("2025-11-29T08:00:00Z")) == Self.date("2025-11-30T01:00:00Z"))
        #expect(zurich.next(after: Self.date("2025-07-01T08:00:00Z")) == Self.date("2025-07-02T00:00:00Z"))
        #expect(try CronSchedule("@daily").next(after: Self.date("2025-11-29T08:00:00Z")) == Self.date("2025-11-30T00:00:00Z"))
    }

    @Test func badExpressionsAreRejected() {
        for bad in ["* * * *", "60 * * * *", "*/0 * * * *", "5-1 * * * *", "a * * * *"] {
            #expect(throws: CronSchedule.InvalidExpression.self, "\(bad)") { try CronSchedule(bad) }
        }
    }
}

/// Scheduled downsampling jobs against a real influxd: catch-up after missed runs, idempotence.
@Suite(.enabled(if: Servers.runIntegration), .serialized, .timeLimit(.minutes(3)))
struct JobIntegrationTests {
    static let hour: Int64 = 3_600_000_000_000

    func pipelineFile(_ base: String, raw: String, rollups: String, state: String) throws -> String {
        let file = temporaryDirectory() + "/jobs.yaml"
        try """
            state_dir: \(state)
            sources:
              outage: { type: fixture, path: \(packageRoot())/fixtures/outage.lp.zst }
            sinks:
              out: { type: file, inputs: [outage], path: \(state)/out.lp }
            jobs:
              hourly:
                schedule: "5 * * * *"
                window: 1h
                lag: 5m
                source: { type: influx_query, url: "\(base)", database: \(raw), chunk_size: 500 }
                transform: { type: downsample, window: 1h }
                sink: { type: influx, url: "\(base)", database: \(rollups), precision: s }
            """.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func catchesUpThreeMissedRunsAndRerunsRewriteTheSamePoints() async throws {
        let base = try #require(Servers.influxURL)
        let suffix = UInt32.random(in: 0...UInt32.max)
        let (raw, rollups) = ("jobraw_\(suffix)", "jobrollups_\(suffix)")
        for database in [raw, rollups] { _ = try await Servers.influxQuery(base, "CREATE DATABASE \(database)") }
        let points = try DownsampleInfluxTests.fewDays(days: 0.5, targets: 3)
        let key = TestData.register(points)
        let loaded = try await runPipeline("""
            sources:
              raw: { type: memory, key: \(key), batch_size: 1000 }
            sinks:
              influx: { type: influx, inputs: [raw], url: "\(base)", database: \(raw) }
            """)
        #expect(loaded.succeeded)

        // The influx_query source gives back exactly the raw points, chunk by chunk, integers as integers.
        let (readKey, readProbe) = Probe.make()
        let read = try await runPipeline("""
            sources:
              back: { type: influx_query, url: "\(base)", database: \(raw), chunk_size: 100 }
            sinks:
              out: { type: collect, inputs: [back], probe: \(readKey) }
            """)
        #expect(read.succeeded, "\(read.failures)")
        func normalized(_ point: Point) -> Point {
            var point = point
            point.fields.sort { $0.key < $1.key }
            return point
        }
        #expect(Set(readProbe.received.withLock { $0 }.map(normalized)) == Set(points.map(normalized)))
        #expect(readProbe.received.withLock { $0.count } == points.count)

        let state = temporaryDirectory()
        let file = try pipelineFile(base, raw: raw, rollups: rollups, state: state)
        let definition = try PipelineLoader(environment: [:]).load(path: file)
        let job = try #require(try JobDefinition.read(definition).first)
        let storage = try FileCheckpointStorage(directory: state)
        let runner = try JobRunner(job: job, file: file, registry: .builtin, checkpoints: storage, logger: Logger(label: "test"))

        // Progress stopped at 2:00; it is now 5:06 (lag 5 min): the 2:00, 3:00 and 4:00 windows were missed.
        let day = points[0].timestamp / (24 * Self.hour) * (24 * Self.hour)
        try await storage.save("job-hourly", Data(#"{"version":1,"doneUntil":\#(day + 2 * Self.hour)}"#.utf8))
        let now = Date(timeIntervalSince1970: Double((day + 5 * Self.hour) / 1_000_000_000 + 360))
        #expect(try await runner.catchUp(now: now) == 3)
        #expect(try await runner.catchUp(now: now) == 0)

        // What the streaming downsampler makes of the same rounds for those hours.
        var engine = Downsampler(rules: DownsampleRules(window: Self.hour, measurements: ["latency": "latency_1h", "dns_latency": "dns_latency_1h"]))
        for point in points where point.timestamp >= day + 2 * Self.hour && point.timestamp < day + 5 * Self.hour { _ = engine.add(point) }
        let expected = engine.flushAll()
        #expect(expected.count == 3 * 5)
        let series = try await Servers.influxSeries(base, "SELECT * FROM latency_1h, dns_latency_1h", database: rollups)
        #expect(series.reduce(0) { $0 + $1.values.count } == expected.count)
        for point in expected {
            let rows = try #require(series.first { $0.name == point.measurement })
            let row = try #require(rows.values.firstIndex { $0[0].integer == point.timestamp && rows.column("path", row: rows.values.firstIndex(of: $0)!)?.string == point.tag("path") })
            if case .float(let median)? = point.field("median") { #expect(rows.column("median", row: row)?.double == median) }
            if case .float(let loss)? = point.field("loss") { #expect(rows.column("loss", row: row)?.double == loss) }
            if case .float(let p95)? = point.field("ping_p95") { #expect(rows.column("ping_p95", row: row)?.double == p95) }
            #expect(rows.column("median_count", row: row)?.integer == { if case .int(let count)? = point.field("median_count") { count } else { nil } }())
        }

        // A rerun of a window rewrites the same points: nothing is added.
        try await runner.run(from: day + 3 * Self.hour, to: day + 4 * Self.hour)
        let again = try await Servers.influxSeries(base, "SELECT * FROM latency_1h, dns_latency_1h", database: rollups)
        #expect(again.reduce(0) { $0 + $1.values.count } == expected.count)
        #expect(again.map(\.values) == series.map(\.values))

        // `smokeflow job run` over a range, from the command line.
        let result = try await CommandLineTests().smokeflow([
            "job", "run", "hourly", "--pipeline", file, "--from", "\((day + 6 * Self.hour) / 1_000_000_000)", "--to", "\((day + 8 * Self.hour) / 1_000_000_000)",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("2 window(s)"), "\(result.stdout)")
        #expect(result.stderr.contains("2/2 windows"), "\(result.stderr)")
        let after = try await Servers.influxSeries(base, "SELECT count(median_count) FROM latency_1h, dns_latency_1h", database: rollups)
        #expect(after.reduce(0) { $0 + ($1.values.first?[1].integer ?? 0) } == Int64(expected.count + 2 * 5))

        // `smokeflow run --once` runs the jobs' catch-up next to the pipeline: without progress,
        // the last complete window (here, now) is due.
        try FileManager.default.removeItem(atPath: state + "/job-hourly.json")
        func dueNow() -> Int64 { (Int64(Date().timeIntervalSince1970) - 300) / 3600 * 3600 * 1_000_000_000 }
        let dueBefore = dueNow()
        let run = try await CommandLineTests().smokeflow(["run", file, "--once", "--log-level", "error"])
        #expect(run.status == 0, "\(run.stderr)")
        let progress = String(decoding: try #require(FileManager.default.contents(atPath: state + "/job-hourly.json")), as: UTF8.self)
        #expect([dueBefore, dueNow()].contains { progress.contains("\"doneUntil\":\($0)") }, "\(progress)")
    }
}

/// A job reading SmokePing's RRD files window by window (no server: the rollups go to a file).
@Suite(.timeLimit(.minutes(2)))
struct JobFromRRDTests {
    @Test func rrdJobWindowsEqualTheFilesHourlyArchive() async throws {
        let tree = SmokePingTree()
        let file = try tree.create("Core/router.rrd", archives: RRDConsolidationTests.archives)
        try tree.update(file, rounds: 0..<600, seed: 5)
        let directory = temporaryDirectory()
        let pipeline = directory + "/jobs.yaml"
        try """
            state_dir: \(directory)/state
            sources:
              nothing: { type: fixture, path: x.lp.zst }
            sinks:
              out: { type: stdout, inputs: [nothing] }
            jobs:
              rrd-hourly:
                schedule: "@hourly"
                window: 1h
                source: { type: rrd, path: \(tree.root) }
                transform: { type: downsample, mode: rrd, window: 1h, measurements: { latency: latency_1h } }
                sink: { type: file, path: \(directory)/rollups.lp, append: true, precision: s }
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let definition = try PipelineLoader(environment: [:]).load(path: pipeline)
        let job = try #require(try JobDefinition.read(definition).first)
        let runner = try JobRunner(job: job, file: pipeline, registry: .builtin, checkpoints: nil, logger: Logger(label: "test"))
        let start = Int64(SmokePingTree.start) * 1_000_000_000
        let hour: Int64 = 3_600_000_000_000
        for window in runner.windows(from: start + 10 * hour, to: start + 14 * hour) {
            try await runner.run(from: window.from, to: window.to)
        }
        // A window run twice writes the same line again.
        try await runner.run(from: start + 13 * hour, to: start + 14 * hour)
        let lines = try String(contentsOfFile: directory + "/rollups.lp", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 5 && lines[3] == lines[4])
        let points = try LineProtocolParser.parse(lines.joined(separator: "\n"), precision: .seconds)
        let archive = try SmokePingTree.fetch(file, "AVERAGE", resolution: 3600, archive: 1)
        let medianColumn = try #require(archive.names.firstIndex(of: "median"))
        for (index, point) in points.prefix(4).enumerated() {
            let stamp = Int(start / 1_000_000_000) + (11 + index) * 3600
            #expect(point.timestamp == Int64(stamp) * 1_000_000_000)
            let expected = try #require(archive.rows[stamp]?[medianColumn]) * 1000
            guard case .float(let median)? = point.field("median") else {
                Issue.record("no median at \(stamp)")
                continue
            }
            #expect(abs(median - expected) <= 1e-9 * expected, "\(stamp): ours \(median), rrd \(expected)")
        }
    }
}
