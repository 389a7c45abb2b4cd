import Downsampling
import LineProtocol
import Foundation
import JobScheduler
import Logging
import PipelineConfig
import Components
import EventModel
import PipelineRuntime
import SmokeflowTesting
import Testing

/// Scheduled downsampling jobs against a real influxd: catch-up after missed runs, idempotence.
@Suite(.enabled(if: Servers.runIntegration), .serialized, .timeLimit(.minutes(3)))
struct JobIntegrationTests: CommandLineRunning {
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
        let points = try await DownsampleInfluxTests.fewDays(days: 0.5, targets: 3)
        let span = Servers.span(points)
        try await Servers.createDatabase(base, raw, from: span.from, to: span.to)
        // The rollups go up to now: `run --once` below writes the last complete window.
        try await Servers.createDatabase(base, rollups, from: span.from, to: Int64(Date().timeIntervalSince1970) + 86_400)
        let key = TestData.register(points)
        let loaded = try await runPipeline("""
            sources:
              raw: { type: memory, key: \(key), batch_size: 1000 }
            sinks:
              influx: { type: influx, inputs: [raw], url: "\(base)", database: \(raw) }
            """)
        #expect(loaded.succeeded)

        // The influx_query source gives back exactly the raw points, chunk by chunk, integers as integers.
        let (readKey, readProbe) = Observer.make()
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
        let storage = FileCheckpointStorage(directory: state)
        let runner = try JobRunner(job: job, file: file, registry: .builtin, checkpoints: storage, logger: Logger(label: "test"))

        // Progress stopped at 2:00; it is now 5:06 (lag 5 min): the 2:00, 3:00 and 4:00 windows were missed.
        let day = try #require(points.first).timestamp / (24 * Self.hour) * (24 * Self.hour)
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
            let row = try #require(rows.values.indices.first {
                rows.column("time", row: $0)?.integer == point.timestamp && rows.column("path", row: $0)?.string == point.tag("path")
            })
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
        let result = try await smokeflow([
            "job", "run", "hourly", "--pipeline", file, "--from", "\((day + 6 * Self.hour) / 1_000_000_000)", "--to", "\((day + 8 * Self.hour) / 1_000_000_000)",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("2 window(s)"), "\(result.stdout)")
        #expect(result.stderr.contains("2/2 windows"), "\(result.stderr)")
        let after = try await Servers.influxSeries(base, "SELECT count(median_count) FROM latency_1h, dns_latency_1h", database: rollups)
        #expect(after.reduce(0) { $0 + ($1.column("count", row: 0)?.integer ?? 0) } == Int64(expected.count + 2 * 5))

        // `smokeflow run --once` runs the jobs' catch-up next to the pipeline: without progress,
        // the last complete window (here, now) is due.
        try FileManager.default.removeItem(atPath: state + "/job-hourly.json")
        func dueNow() -> Int64 { (Int64(Date().timeIntervalSince1970) - 300) / 3600 * 3600 * 1_000_000_000 }
        let dueBefore = dueNow()
        let run = try await smokeflow(["run", file, "--once", "--log-level", "error"])
        #expect(run.status == 0, "\(run.stderr)")
        let progress = String(decoding: try #require(FileManager.default.contents(atPath: state + "/job-hourly.json")), as: UTF8.self)
        #expect([dueBefore, dueNow()].contains { progress.contains("\"doneUntil\":\($0)") }, "\(progress)")
    }
}
