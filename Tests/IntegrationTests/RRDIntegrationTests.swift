import Foundation
import EventModel
import PipelineRuntime
import SmokeflowTesting
import Testing

/// SmokePing trees into a real InfluxDB, through the pipeline and the `smokeflow` executable.
@Suite(.enabled(if: Servers.runIntegration), .serialized, .timeLimit(.minutes(3)))
struct RRDIntegrationTests {
    func influxCount(_ base: String, _ database: String, _ measurement: String) async throws -> Int {
        try await Servers.influxCount(base, database, "pings", from: measurement)
    }

    @Test func backfillLandsInInfluxDBExactly() async throws {
        let base = try #require(Servers.influxURL)
        let database = "backfill_\(UInt32.random(in: 0...UInt32.max))"
        // Primed: influxd 1.x can drop a 204'd write into a new shard (Servers.primeShards).
        try await Servers.createDatabase(base, database, from: Servers.treeStart - 30 * 86_400, to: Servers.treeStart + 4 * 86_400)
        let tree = SmokePingTree()
        for (index, name) in ["Core/a.rrd", "Core/b.rrd", "Edge/c.rrd"].enumerated() {
            try await tree.update(try await tree.create(name), rounds: 0..<900, seed: index + 1)
        }
        let (key, probe) = Observer.make()
        let report = try await runPipeline("""
            state_dir: \(temporaryDirectory())
            sources:
              history: { type: rrd, mode: backfill, path: \(tree.root), concurrency: 2 }
            sinks:
              influx: { type: influx, inputs: [history], url: "\(base)", database: \(database), precision: s }
              collect: { type: collect, inputs: [history], probe: \(key) }
            """)
        try #require(report.succeeded, "\(report.failures)")
        // What the sink did: everything it received sent, nothing refused.
        let sink = try #require(report.counts.first { $0.id == "influx" })
        #expect(sink.dropped == 0 && sink.sent == sink.received, "influx sink: \(sink)")
        let points = probe.received.withLock { $0 }
        for measurement in ["latency", "latency_1h", "latency_12h"] {
            let expected = points.filter { $0.measurement == measurement }.count
            #expect(expected > 0)
            #expect(try await influxCount(base, database, measurement) == expected, "\(measurement)")
        }
        // Values come back exactly as read (the collect sink saw them; rrdtool agreement is tested offline).
        let series = try #require(try await Servers.influxSeries(base, "SELECT median, lost FROM latency WHERE path = 'Core/b'", database: database).first)
        let mine = Dictionary(grouping: points.filter { $0.measurement == "latency" && $0.tag("path") == "Core/b" }, by: \.timestamp)
        #expect(mine.values.allSatisfy { $0.count == 1 }, "each row read once")
        #expect(series.values.count == mine.count)
        for (index, row) in series.values.enumerated() {
            try #require(row.count == 3, "\(row)")
            let point = try #require(mine[series.column("time", row: index)?.integer ?? 0]?.first)
            if case .float(let median) = point.field("median") { #expect(row[1].double == median) }
            if case .float(let lost) = point.field("lost") { #expect(row[2].double == lost) }
        }
    }

    @Test func tailSurvivesKillMinusNineAndAnInfluxOutage() async throws {
        let server = OwnInfluxd()
        try await server.start()
        defer { server.terminate() }
        try await Servers.createDatabase(server.url, "tail", from: Servers.treeStart, to: Servers.treeStart + 86_400)
        let tree = SmokePingTree()
        let file = try await tree.create("Core/live.rrd")
        try await tree.update(file, rounds: 0..<20)
        let directory = temporaryDirectory()
        let pipeline = directory + "/tail.yaml"
        try """
            state_dir: \(directory)/state
            sources:
              live: { type: rrd, mode: tail, path: \(tree.root), poll_interval: 200ms }
            sinks:
              influx:
                type: influx
                inputs: [live]
                url: "\(server.url)"
                database: tail
                precision: s
                flush_interval: 100ms
                retry_initial_backoff: 100ms
                retry_max_backoff: 500ms
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)

        func start() throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: smokeflowExecutable)
            process.arguments = ["run", pipeline, "--log-level", "error"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        func waitForCount(_ count: Int) async throws -> Int {
            var seen = 0
            _ = try await eventually(within: .seconds(30), every: .milliseconds(100)) {
                seen = try await influxCount(server.url, "tail", "latency")
                return seen >= count
            }
            return seen
        }

        var process = try start()
        #expect(try await waitForCount(19) == 19)
        kill(process.processIdentifier, SIGKILL)
        await process.exited()

        try await tree.update(file, rounds: 20..<30)
        await server.stop()  // InfluxDB goes away while smokeflow comes back
        process = try start()
        // Some time without InfluxDB: what the restarted run reads meanwhile must wait for it
        // (nothing below depends on how long this is).
        try await Task.sleep(for: .seconds(1))
        try await tree.update(file, rounds: 30..<40)
        try await server.start()
        #expect(try await waitForCount(39) == 39)
        kill(process.processIdentifier, SIGTERM)
        await process.exited()
        #expect(process.terminationStatus == 0)

        // Exactly the closed rows 1…39, each with rrdtool's values.
        let (names, rows) = try await SmokePingTree.fetch(file, "AVERAGE", resolution: 300, archive: 0)
        let stored = try #require(try await Servers.influxSeries(server.url, "SELECT median, lost FROM latency", database: "tail").first)
        let times = stored.values.indices.map { Int((stored.column("time", row: $0)?.integer ?? 0) / 1_000_000_000) }
        #expect(times == (1...39).map { SmokePingTree.start + $0 * 300 })
        let median = try #require(names.firstIndex(of: "median"))
        for (index, time) in times.enumerated() {
            let row = try #require(rows[time], "rrdtool has no row at \(time)")
            try #require(row.indices.contains(median))
            let expected = row[median] * 1000
            let value = stored.column("median", row: index)
            if expected.isNaN { #expect(value == .null) } else { #expect(abs((value?.double ?? .nan) - expected) <= 1e-9 * expected) }
        }
    }
}

@Suite(.enabled(if: Servers.runIntegration), .timeLimit(.minutes(3)))
struct RRDBackfillResumeTests {
    func counts(_ base: String, _ database: String) async throws -> [String: Int] {
        var result: [String: Int] = [:]
        for measurement in ["latency", "latency_1h", "latency_12h"] {
            let series = try await Servers.influxSeries(base, "SELECT count(pings) FROM \"\(measurement)\"", database: database)
            result[measurement] = Int(series.first?.column("count", row: 0)?.integer ?? 0)
        }
        return result
    }

    func run(_ pipeline: String, kill killAfter: (@Sendable () async throws -> Bool)? = nil) async throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: smokeflowExecutable)
        process.arguments = ["run", pipeline]
        let log = temporaryDirectory() + "/stderr"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        if let killAfter {
            #expect(try await eventually(within: .seconds(120)) { try await killAfter() || !process.isRunning })
            kill(process.processIdentifier, SIGKILL)
        }
        if !(await eventually(within: .seconds(150)) { !process.isRunning }) {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("smokeflow run \(pipeline) did not finish")
        }
        await process.exited()
        return (process.terminationStatus, try String(contentsOfFile: log, encoding: .utf8))
    }

    @Test func killMinusNineThenRerunFinishesWithTheSameDataAndWithoutResending() async throws {
        let base = try #require(Servers.influxURL)
        let suffix = UInt32.random(in: 0...UInt32.max)
        let tree = SmokePingTree()
        for index in 0..<48 { try await tree.update(try await tree.create("Core/t\(index).rrd"), rounds: 0..<600, seed: index) }
        let directory = temporaryDirectory()
        func pipeline(_ name: String, database: String, url: String? = nil, state: String? = nil) async throws -> String {
            _ = try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = directory + "/\(name).yaml"
            try """
                state_dir: \(directory)/state-\(state ?? name)
                sources:
                  history: { type: rrd, mode: backfill, path: \(tree.root), concurrency: 1, batch_size: 100 }
                sinks:
                  influx: { type: influx, inputs: [history], url: "\(url ?? base)", database: \(database), precision: s, batch_max_lines: 100, concurrency: 1, flush_interval: 20ms }
                """.write(toFile: path, atomically: true, encoding: .utf8)
            try await Servers.createDatabase(base, database, from: Servers.treeStart - 30 * 86_400, to: Servers.treeStart + 4 * 86_400)
            return path
        }
        // The reference: one uninterrupted run.
        let reference = try await run(try await pipeline("reference", database: "reference_\(suffix)"))
        #expect(reference.status == 0, "\(reference.stderr)")
        let expected = try await counts(base, "reference_\(suffix)")
        let total = expected.values.reduce(0, +)

        // Killed once some positions are on disk, then run again. The first run cannot finish
        // before the kill, however fast it is: a proxy forwards its first 30 requests and then
        // answers 503 to every one (the sink keeps retrying), so timing decides nothing.
        let proxy = FaultProxy(upstream: base, faults: Array(repeating: .forward, count: 30), afterwards: .status(503, retryAfter: nil))
        try await proxy.start()
        defer { Task { await proxy.stop() } }
        let interrupted = try await pipeline("interrupted", database: "interrupted_\(suffix)", url: proxy.url)
        let state = directory + "/state-interrupted/rrd-history.json"
        let killed = try await run(interrupted) {
            guard let data = FileManager.default.contents(atPath: state),
                let stored = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let files = stored["files"] as? [String: Any] else { return false }
            return files.count >= 2
        }
        #expect(killed.status != 0)
        let rerun = try await run(try await pipeline("rerun", database: "interrupted_\(suffix)", state: "interrupted"))
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try await counts(base, "interrupted_\(suffix)") == expected)
        // The rerun sent only what had not been acknowledged.
        let line = try #require(rerun.stderr.split(separator: "\n").first { $0.contains("sink 'influx':") })
        let sent = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Int($0) }, "\(line)")
        #expect(sent > 0 && sent < total, "rerun sent \(sent) of \(total)")
    }
}
