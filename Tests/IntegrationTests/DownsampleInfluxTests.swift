import Foundation
import Components
import LineProtocol
import EventModel
import PipelineRuntime
import SmokeflowTesting
import Testing

/// Our hourly rollups against InfluxQL's own aggregates over the same raw points in a real influxd.
@Suite(.enabled(if: Servers.runIntegration), .serialized, .timeLimit(.minutes(5)))
struct DownsampleInfluxTests {
    static let hour: Int64 = 3_600_000_000_000
    static let percentiles = [5, 10, 25, 50, 75, 90, 95]

    /// A few days of generated SmokePing-shaped rounds (scripts/make-fixtures.py, fixed seed).
    static func fewDays(days: Double = 3, targets: Int = 6) async throws -> [Point] {
        let path = temporaryDirectory() + "/days.lp"
        let made = try await runProgram(
            "/usr/bin/env", ["python3", packageRoot() + "/scripts/make-fixtures.py", path, "--days", "\(days)", "--targets", "\(targets)"],
            mergingErrors: true)
        #expect(made.status == 0, "\(made.output)")
        return try LineProtocolParser.parse(try String(contentsOfFile: path, encoding: .utf8))
    }

    struct Answer: Decodable {
        struct Series: Decodable {
            var name: String
            var tags: [String: String]?
            var columns: [String]
            var values: [[InfluxValue]]
        }
        struct Result: Decodable { var series: [Series]? }
        var results: [Result]
    }

    /// Rows by (measurement, sorted tags, window start) → column → value.
    static func grouped(_ base: String, _ query: String, database: String) async throws -> [String: [String: InfluxValue]] {
        var components = try #require(URLComponents(string: base + "/query"), "\(base) is not a URL")
        components.queryItems = [.init(name: "q", value: query), .init(name: "epoch", value: "ns"), .init(name: "db", value: database)]
        let (status, body) = try await Servers.post(try #require(components.string))
        #expect(status == 200, "\(body)")
        var rows: [String: [String: InfluxValue]] = [:]
        for series in try JSONDecoder().decode(Answer.self, from: Data(body.utf8)).results.first?.series ?? [] {
            let tags = (series.tags ?? [:]).filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            for row in series.values {
                try #require(row.count == series.columns.count, "\(series.name): \(row)")
                let time = row.first?.integer ?? 0
                rows["\(series.name)|\(tags)|\(time)"] = Dictionary(zip(series.columns, row)) { first, _ in first }
            }
        }
        return rows
    }

    static func key(_ measurement: String, _ point: Point, start: Int64) -> String {
        "\(measurement)|" + point.tags.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "|\(start)"
    }

    static func close(_ ours: Double?, _ theirs: Double?, _ what: String) {
        guard let ours, let theirs else {
            Issue.record("\(what): ours \(String(describing: ours)), InfluxQL \(String(describing: theirs))")
            return
        }
        #expect(abs(ours - theirs) <= 1e-9 * max(1, abs(theirs)), "\(what): ours \(ours), InfluxQL \(theirs)")
    }

    @Test func hourlyRollupsEqualInfluxQLAggregates() async throws {
        let base = try #require(Servers.influxURL)
        let database = "downsample_\(UInt32.random(in: 0...UInt32.max))"
        let raw = try await Self.fewDays()
        let span = Servers.span(raw)
        try await Servers.createDatabase(base, database, from: span.from, to: span.to)
        // The same ping values, one point each, so InfluxQL's percentile() sees the pooled set.
        let pooled = raw.flatMap { point in
            point.fields.enumerated().compactMap { index, field -> Point? in
                guard field.key.hasPrefix("ping_"), case .float(let value) = field.value else { return nil }
                return Point(measurement: point.measurement + "_pooled", tags: point.tags, fields: [.init("rtt", .float(value))], timestamp: point.timestamp + Int64(index))
            }
        }
        let rawKey = TestData.register(raw)
        let pooledKey = TestData.register(pooled)
        let (collected, probe) = Observer.make()
        let report = try await runPipeline("""
            sources:
              raw: { type: memory, key: \(rawKey), batch_size: 500 }
              pooled: { type: memory, key: \(pooledKey), batch_size: 5000 }
            transforms:
              hourly: { type: downsample, inputs: [raw], window: 1h }
            sinks:
              influx: { type: influx, inputs: [raw, pooled], url: "\(base)", database: \(database), batch_max_lines: 5000 }
              rollups: { type: collect, inputs: [hourly], probe: \(collected) }
            """)
        #expect(report.succeeded, "\(report.failures)")
        let ours = probe.received.withLock { $0 }
        #expect(ours.count > 6 * 3 * 24)

        let first = try #require(raw.first), last = try #require(raw.last)
        let range = "WHERE time >= \(first.timestamp / Self.hour * Self.hour) AND time < \((last.timestamp / Self.hour + 1) * Self.hour)"
        var influx: [String: [String: InfluxValue]] = [:]
        for measurement in ["latency", "dns_latency"] {
            let aggregates = try await Self.grouped(base, """
                SELECT mean(median), min(median), max(median), count(median), sum(lost), sum(pings), mean(lost) FROM \(measurement) \(range) GROUP BY time(1h), *
                """, database: database)
            let percentiles = try await Self.grouped(base, """
                SELECT \(Self.percentiles.map { "percentile(rtt, \($0)) AS p\($0)" }.joined(separator: ", ")) FROM \(measurement)_pooled \(range) GROUP BY time(1h), *
                """, database: database)
            for (key, row) in aggregates where row["sum"]?.double != nil || row["sum"]?.integer != nil {
                influx[key] = row.merging(percentiles[key.replacingOccurrences(of: measurement + "|", with: measurement + "_pooled|")] ?? [:]) { a, _ in a }
            }
        }
        #expect(influx.count == ours.count, "windows: InfluxQL \(influx.count), ours \(ours.count)")
        var compared = 0
        for point in ours {
            let input = String(point.measurement.dropLast(3))  // latency_1h → latency
            // Ours are stamped at the window's end; InfluxQL's GROUP BY time at its start.
            let key = Self.key(input, point, start: point.timestamp - Self.hour)
            guard let row = influx[key] else {
                Issue.record("no InfluxQL window for \(key)")
                continue
            }
            func ours(_ name: String) -> Double? {
                switch point.field(name) {
                case .float(let value)?: value
                case .int(let value)?: Double(value)
                default: nil
                }
            }
            if let count = row["count"]?.integer, count > 0 {
                Self.close(ours("median"), row["mean"]?.double, "\(key) mean(median)")
                Self.close(ours("median_min"), row["min"]?.double, "\(key) min(median)")
                Self.close(ours("median_max"), row["max"]?.double, "\(key) max(median)")
                #expect(point.field("median_count") == .int(count), "\(key) count(median)")
            } else {
                #expect(point.field("median") == nil, "\(key): a window of lost rounds has no median")
            }
            let lost = row["sum"]?.double ?? 0
            let pings = Double(row["sum_1"]?.integer ?? 0)
            Self.close(ours("loss"), 100 * lost / pings, "\(key) 100·sum(lost)/sum(pings)")
            Self.close(ours("lost"), row["mean_1"]?.double, "\(key) mean(lost)")
            for percentile in Self.percentiles {
                let theirs = row["p\(percentile)"]?.double
                if theirs == nil && ours("ping_p\(percentile)") == nil { continue }
                Self.close(ours("ping_p\(percentile)"), theirs, "\(key) percentile(\(percentile))")
            }
            compared += 1
        }
        #expect(compared == ours.count)
    }
}
