import Foundation
import EventModel
import PipelineRuntime
import SmokeflowTesting
import Testing

/// Names and values that stress every escaping rule of line protocol.
enum Torture {
    static let longString = String(repeating: "long \"quoted\" \\ text, with = signs ", count: 300)

    static func points(base: Int64) -> [Point] {
        let measurements = ["lat ency", "a,b", "eq=uals", "quote\"d", "back\\slash", "ünïcødé", "emoji😀", "_under"]
        let tagKeys = ["t k", "t,k", "t=k", "_tag", "ключ", "🔑", "q\"t", "b\\s"]
        let tagValues = ["v a l", "v,a,l", "v=a=l", "q\"uote", "back\\slash", "値", "🌍", "_v"]
        return measurements.enumerated().map { index, measurement in
            Point(
                measurement: measurement,
                tags: [.init(tagKeys[index], tagValues[index]), .init("plain", "x")],
                fields: [
                    .init("f k", .float(Double.leastNonzeroMagnitude)), .init("f,k", .float(1.7976931348623157e308)), .init("f=k", .float(-0.0)),
                    .init("_field", .float(0.0)), .init("neg", .float(-1.7976931348623157e308)), .init("imin", .int(.min)),
                    .init("imax", .int(.max)), .init("q\"f", .string(index == 0 ? longString : "s\"\\é😀")),
                    .init("flag", .bool(index % 2 == 0)), .init("pi", .float(3.141592653589793)),
                ],
                timestamp: base + Int64(index) * 1_000_000
            )
        }
    }
}

@Suite(.enabled(if: Servers.runIntegration), .serialized, .timeLimit(.minutes(2)))
struct InfluxIntegrationTests {
    @Test func torturePointsComeBackExactlyFromInfluxDB() async throws {
        let base = try #require(Servers.influxURL)
        let database = "torture_\(UInt32.random(in: 0...UInt32.max))"
        let points = Torture.points(base: 1_700_000_000_000_000_000)
        try await Servers.createDatabase(base, database, from: 1_700_000_000, to: 1_700_000_001)
        let key = TestData.register(points)
        let report = try await runPipeline("""
            sources:
              torture: { type: memory, key: \(key), batch_size: 3 }
            sinks:
              influx: { type: influx, inputs: [torture], url: "\(base)", database: \(database), batch_max_lines: 5 }
            """)
        #expect(report.succeeded, "\(report.failures)")

        let series = try await Servers.influxSeries(base, "SELECT * FROM /.*/", database: database).filter { $0.name != "smokeflow_prime" }
        #expect(series.count == points.count)
        for point in points {
            let match = try #require(series.first { $0.name == point.measurement }, "\(point.measurement)")
            #expect(match.column("time", row: 0)?.integer == point.timestamp)
            for tag in point.tags { #expect(match.column(tag.key, row: 0)?.string == tag.value, "tag \(tag.key)") }
            for field in point.fields {
                let got = match.column(field.key, row: 0)
                switch field.value {
                case .float(let expected):
                    let value = try #require(got?.double, "field \(field.key)")
                    #expect(value == expected, "field \(field.key)")
                case .int(let expected): #expect(got?.integer == expected, "field \(field.key)")
                case .string(let expected): #expect(got?.string == expected, "field \(field.key)")
                case .bool(let expected): #expect(got?.bool == expected, "field \(field.key)")
                case .uint: Issue.record("InfluxDB 1.x has no unsigned type")
                }
            }
        }
        // Types survive too: floats stay floats even when their value is whole.
        let keys = try #require(try await Servers.influxSeries(base, "SHOW FIELD KEYS FROM \"lat ency\"", database: database).first)
        let typeOf = Dictionary((0..<keys.values.count).compactMap { row in
            keys.column("fieldKey", row: row)?.string.flatMap { key in keys.column("fieldType", row: row)?.string.map { (key, $0) } }
        }) { first, _ in first }
        #expect(typeOf["_field"] == "float" && typeOf["imin"] == "integer" && typeOf["flag"] == "boolean" && typeOf["q\"f"] == "string")
    }

    @Test func torturePointsThroughTheV2APIIntoVictoriaMetrics() async throws {
        let base = try #require(Servers.victoriaMetricsURL)
        let suffix = "\(UInt32.random(in: 0...UInt32.max))"
        var points = Torture.points(base: 1_700_000_100_000_000_000)
        for index in points.indices {
            points[index].setTag("run", suffix)
            points[index].fields.append(.init("umax", .uint(.max)))
            // victoria-metrics stores no strings, and its parser (1.79) misreads \" inside them.
            points[index].fields.removeAll { if case .string = $0.value { true } else { false } }
        }
        let key = TestData.register(points)
        let report = try await runPipeline("""
            sources:
              torture: { type: memory, key: \(key) }
            sinks:
              vm: { type: influx, api: v2, inputs: [torture], url: "\(base)", org: o, bucket: b, token: t0ken }
            """)
        #expect(report.succeeded, "\(report.failures)")
        _ = try await Servers.get(base + "/internal/force_flush")
        let (status, body) = try await Servers.get(base + "/api/v1/export?match%5B%5D=%7Brun%3D%22\(suffix)%22%7D")
        #expect(status == 200)
        var series: [String: (labels: [String: String], value: Double, timestamp: Int64)] = [:]
        for line in body.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            let metric = try #require(object["metric"] as? [String: String], "\(line)")
            let value = try #require((object["values"] as? [Any])?.first, "\(line)")
            let timestamp = try #require((object["timestamps"] as? [NSNumber])?.first, "\(line)")
            let number = (value as? NSNumber)?.doubleValue ?? Double(value as? String ?? "") ?? .nan
            series[try #require(metric["__name__"], "\(line)")] = (metric, number, timestamp.int64Value)
        }
        // victoria-metrics keeps numbers as float64 (one series per field) and skips strings.
        for point in points {
            for field in point.fields {
                let name = "\(point.measurement)_\(field.key)"
                let expected: Double
                switch field.value {
                case .float(let value): expected = value
                case .int(let value): expected = Double(value)
                case .uint(let value): expected = Double(value)
                case .bool(let value): expected = value ? 1 : 0
                case .string: continue
                }
                let got = try #require(series[name], "series \(name)")
                // Names and tags must be exact (that is the write path); values pass through
                // victoria-metrics' own storage, which keeps 12 significant digits and flushes
                // subnormals to zero, so exactness of values is checked against influxd above.
                if expected.isSubnormal {
                    #expect(got.value == 0 || got.value == expected, "\(name)")
                } else {
                    #expect(abs(got.value - expected) <= 1e-12 * abs(expected), "\(name)")
                }
                #expect(got.timestamp == point.timestamp / 1_000_000)
                for tag in point.tags { #expect(got.labels[tag.key] == tag.value, "\(name) tag \(tag.key)") }
            }
        }
    }

    @Test func unreachableThenReachableLosesNothing() async throws {
        let server = OwnInfluxd()
        try await server.start()
        try await Servers.createDatabase(server.url, "outage", from: 0, to: 5000)
        await server.stop()

        let points = (0..<5000).map {
            Point(measurement: "latency", tags: [.init("target", "t\($0 % 10)")], fields: [.init("median", .float(Double($0) / 7))], timestamp: Int64($0) * 1_000_000_000)
        }
        let (probeKey, probe) = Observer.make()
        let key = TestData.register(points)
        let run = Task {
            try await runPipeline("""
                sources:
                  src: { type: memory, key: \(key), probe: \(probeKey), batch_size: 500 }
                sinks:
                  influx:
                    type: influx
                    inputs: [src]
                    url: "\(server.url)"
                    database: outage
                    batch_max_lines: 1000
                    retry_initial_backoff: 50ms
                    retry_max_backoff: 300ms
                """)
        }
        // The source has handed over its batches; the sink retries while InfluxDB stays down for
        // a while (a negative check: a slow machine can only make it weaker, never fail it).
        #expect(await eventually(within: .seconds(30)) { probe.produced.load(ordering: .relaxed) == 5000 })
        try await Task.sleep(for: .seconds(1))
        #expect(probe.statuses.withLock { $0.isEmpty }, "nothing can be acknowledged while InfluxDB is down")
        try await server.start()
        let report = try await run.value
        await server.stop()
        #expect(report.succeeded, "\(report.failures)")
        #expect(probe.statuses.withLock { $0 } == Array(repeating: .delivered, count: 10))

        try await server.start()
        #expect(try await Servers.influxCount(server.url, "outage", "median", from: "latency") == 5000)
        await server.stop()
    }

    @Test func aRejectedWriteIsCountedAndNotRetriedForever() async throws {
        let base = try #require(Servers.influxURL)
        let database = "rejects_\(UInt32.random(in: 0...UInt32.max))"
        _ = try await Servers.influxQuery(base, "CREATE DATABASE \(database)")
        // `value` is an integer in this database; the float points below conflict with it.
        let (status, _) = try await Servers.post(base + "/write?db=\(database)", body: "m value=1i 1")
        #expect(status == 204)
        let points = (0..<10).map {
            Point(measurement: "m", tags: [.init("n", "\($0)")], fields: [.init("value", $0 < 3 ? .float(1.5) : .int(Int64($0)))], timestamp: Int64($0 + 2))
        }
        let (probeKey, probe) = Observer.make()
        let key = TestData.register(points)
        let report = try await runPipeline("""
            sources:
              src: { type: memory, key: \(key), probe: \(probeKey) }
            sinks:
              influx: { type: influx, inputs: [src], url: "\(base)", database: \(database) }
            """)
        #expect(report.succeeded)
        #expect(probe.statuses.withLock { $0 } == [.rejected])
        let sink = try #require(report.counts.first { $0.id == "influx" })
        #expect(sink.dropped == 3 && sink.sent == 7)
    }

    @Test func aMissingDatabaseIsAClearConfigurationError() async throws {
        let base = try #require(Servers.influxURL)
        let key = TestData.register([Point(measurement: "m", fields: [.init("f", .float(1))], timestamp: 1)])
        let report = try await runPipeline("""
            sources:
              src: { type: memory, key: \(key) }
            sinks:
              influx: { type: influx, inputs: [src], url: "\(base)", database: does_not_exist, password: hunter2, username: u, retry_max_attempts: 2, retry_initial_backoff: 10ms }
            """)
        #expect(!report.succeeded)
        let message = report.failures.map(\.description).joined()
        #expect(message.contains("sink 'influx'") && message.contains("404") && message.contains("does_not_exist"), "\(message)")
        #expect(!message.contains("hunter2"))
    }
}

@Suite(.enabled(if: Servers.runIntegration), .serialized, .timeLimit(.minutes(2)))
struct InfluxFaultTests {
    func latencyPoints(_ count: Int) -> [Point] {
        (0..<count).map {
            Point(
                measurement: "latency", tags: [.init("target", "router-\($0 % 20)")],
                fields: [.init("median", .float(Double($0) / 3)), .init("loss", .float(0))], timestamp: Int64($0) * 1_000_000_000)
        }
    }

    func count(_ base: String, _ database: String) async throws -> Int {
        try await Servers.influxCount(base, database, "median", from: "latency")
    }

    @Test func tooLargeBatchesAreSplitUntilTheyFit() async throws {
        let server = OwnInfluxd(httpSettings: "max-body-size = 4096")
        try await server.start()
        defer { server.terminate() }
        try await Servers.createDatabase(server.url, "split", from: 0, to: 1000)
        let (probeKey, probe) = Observer.make()
        let key = TestData.register(latencyPoints(1000))
        let report = try await runPipeline("""
            sources:
              src: { type: memory, key: \(key), probe: \(probeKey), batch_size: 1000 }
            sinks:
              influx: { type: influx, inputs: [src], url: "\(server.url)", database: split, gzip: false, batch_max_lines: 1000 }
            """)
        #expect(report.succeeded, "\(report.failures)")
        #expect(probe.statuses.withLock { $0 } == [.delivered])
        #expect(try await count(server.url, "split") == 1000)
    }

    @Test func retriesTooManyRequestsAndServerErrorsHonouringRetryAfter() async throws {
        let base = try #require(Servers.influxURL)
        let database = "retries_\(UInt32.random(in: 0...UInt32.max))"
        try await Servers.createDatabase(base, database, from: 0, to: 300)
        let proxy = FaultProxy(upstream: base, faults: [.status(429, retryAfter: 4), .status(503, retryAfter: nil), .status(500, retryAfter: nil)])
        try await proxy.start()
        let key = TestData.register(latencyPoints(300))
        let report = try await runPipeline("""
            sources:
              src: { type: memory, key: \(key), batch_size: 300 }
            sinks:
              influx:
                type: influx
                inputs: [src]
                url: "\(proxy.url)"
                database: \(database)
                retry_initial_backoff: 50ms
            """)
        await proxy.stop()
        #expect(report.succeeded, "\(report.failures)")
        let times = proxy.requestTimes.withLock { $0 }
        try #require(times.count == 4)
        // Retry-After: 4 is a floor for the next attempt; the 503 and 500 retry on the short backoff.
        #expect(times[1] - times[0] >= .seconds(4))
        // The 503 and the 500 retry on the 50 ms backoff, not on the 4 s Retry-After again (8 s
        // or more): compared with the first wait rather than timed. The two short retries took
        // 1.8 s together in a loop run at a load of 12, so the floor is 4 s, not 1.
        #expect(times[3] - times[1] < times[1] - times[0], "\(times)")
        #expect(try await count(base, database) == 300)
    }
}

@Suite(.enabled(if: Servers.runIntegration), .timeLimit(.minutes(2)))
struct InfluxAuthenticationTests {
    @Test func usernameAndPasswordAuthenticateAndABadPasswordIsAClearErrorThatHidesIt() async throws {
        let server = OwnInfluxd(httpSettings: "auth-enabled = true")
        try await server.start()
        defer { server.terminate() }
        _ = try await Servers.influxQuery(server.url, "CREATE USER admin WITH PASSWORD 'c0rrect-h0rse' WITH ALL PRIVILEGES")
        let admin = ("admin", "c0rrect-h0rse")
        try await Servers.createDatabase(server.url, "secured", from: 0, to: 0, credentials: admin)
        let key = TestData.register((0..<10).map { Point(measurement: "latency", fields: [.init("median", .float(Double($0)))], timestamp: Int64($0)) })

        let good = try await runPipeline("""
            sources:
              src: { type: memory, key: \(key) }
            sinks:
              influx: { type: influx, inputs: [src], url: "\(server.url)", database: secured, username: admin, password: "${PASSWORD}" }
            """, environment: ["PASSWORD": "c0rrect-h0rse"])
        #expect(good.succeeded, "\(good.failures)")
        #expect(try await Servers.influxCount(server.url, "secured", "median", from: "latency", credentials: admin) == 10)

        let bad = try await runPipeline("""
            sources:
              src: { type: memory, key: \(key) }
            sinks:
              influx: { type: influx, inputs: [src], url: "\(server.url)", database: secured, username: admin, password: "${PASSWORD}", retry_max_attempts: 2, retry_initial_backoff: 10ms }
            """, environment: ["PASSWORD": "wr0ng-battery"])
        #expect(!bad.succeeded)
        let message = bad.failures.map(\.description).joined()
        #expect(message == "sink 'influx': http://127.0.0.1:\(server.port) refused the credentials (HTTP 401)")
        #expect(!message.contains("wr0ng"))
    }
}
