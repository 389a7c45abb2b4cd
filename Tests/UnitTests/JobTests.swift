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

@Suite struct CronScheduleTests {
    static func date(_ text: String) -> Date {
        guard let date = ISO8601DateFormatter().date(from: text) else {
            Issue.record("\(text) is not an ISO 8601 date")
            return .distantPast
        }
        return date
    }

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

/// A job reading SmokePing's RRD files window by window (no server: the rollups go to a file).
@Suite(.timeLimit(.minutes(2)))
struct JobFromRRDTests {
    @Test func rrdJobWindowsEqualTheFilesHourlyArchive() async throws {
        let tree = SmokePingTree()
        let file = try await tree.create("Core/router.rrd", archives: RRDConsolidationTests.archives)
        try await tree.update(file, rounds: 0..<600, seed: 5)
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
        let archive = try await SmokePingTree.fetch(file, "AVERAGE", resolution: 3600, archive: 1)
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
