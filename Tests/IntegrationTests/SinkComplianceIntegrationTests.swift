import Foundation
import EventModel
import SmokeflowTesting
import Testing

/// The `Sink` contract for `influx`: v1 against influxd, v2 against victoria-metrics. A batch
/// is delivered only once a query finds its points; a server that is not there fails them.
@Suite(.enabled(if: Servers.runIntegration), .timeLimit(.minutes(2)))
struct SinkComplianceIntegrationTests {
    /// `count(median)` of the batch's points in influxd, asked with curl (the check runs inside
    /// the acknowledgement, where nothing may wait for the cooperative pool).
    static func queryableInInfluxd(_ base: String, database: String) -> SinkCompliance.DurabilityCheck {
        { batch, points in
            guard let run = points.first?.tag("run") else { return "no points" }
            do {
                let answer = try SinkCompliance.tool("/usr/bin/curl", [
                    "-sS", "--max-time", "10", "-G", base + "/query", "--data-urlencode", "db=\(database)",
                    "--data-urlencode", "q=SELECT count(median) FROM latency WHERE \"run\" = '\(run)' AND \"batch\" = '\(batch)'",
                ])
                let count = influxCount(answer)
                return count == points.count ? nil : "influxd has \(count) of its \(points.count) points"
            } catch {
                return "\(error)"
            }
        }
    }

    /// The number in an InfluxQL `count` answer (0 when there is no series).
    static func influxCount(_ answer: String) -> Int {
        struct Answer: Decodable {
            struct Result: Decodable { var series: [InfluxSeries]? }
            var results: [Result]
        }
        let decoded = try? JSONDecoder().decode(Answer.self, from: Data(answer.utf8))
        guard let series = decoded?.results.first?.series?.first, let value = series.column("count", row: 0)?.integer else { return 0 }
        return Int(value)
    }

    /// The batch's `latency_median` samples in victoria-metrics, after a flush, by export.
    static func queryableInVictoriaMetrics(_ base: String) -> SinkCompliance.DurabilityCheck {
        { batch, points in
            guard let run = points.first?.tag("run") else { return "no points" }
            do {
                _ = try SinkCompliance.tool("/usr/bin/curl", ["-sS", "--max-time", "10", base + "/internal/force_flush"])
                let export = try SinkCompliance.tool("/usr/bin/curl", [
                    "-sS", "--max-time", "10", "-G", base + "/api/v1/export",
                    "--data-urlencode", "match[]=latency_median{run=\"\(run)\",batch=\"\(batch)\"}",
                ])
                var samples = 0
                for line in export.split(separator: "\n") {
                    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                    samples += (object?["values"] as? [Any])?.count ?? 0
                }
                return samples == points.count ? nil : "victoria-metrics has \(samples) of its \(points.count) points"
            } catch {
                return "\(error)"
            }
        }
    }

    @Test func influxV1AcknowledgesEachBatchOnceItIsQueryable() async throws {
        let base = try #require(Servers.influxURL)
        let database = "compliance_\(UInt32.random(in: 0...UInt32.max))"
        // Primed: influxd 1.x can drop a 204'd write into a new shard (Servers.primeShards), which
        // this check would take for an acknowledgement before the data was durable.
        try await Servers.createDatabase(base, database, from: Servers.treeStart, to: Servers.treeStart + 86_400)
        // Small requests (a batch spans two) and a short flush: acknowledgements in several steps.
        let violations = try await SinkCompliance.check(
            type: "influx", options: "url: \"\(base)\", database: \(database), batch_max_lines: 2, flush_interval: 20ms", batches: 6,
            durable: Self.queryableInInfluxd(base, database: database))
        #expect(violations.isEmpty, "\(violations)")
    }

    @Test func influxV2AcknowledgesEachBatchOnceItIsQueryable() async throws {
        let base = try #require(Servers.victoriaMetricsURL)
        let violations = try await SinkCompliance.check(
            type: "influx", options: "api: v2, url: \"\(base)\", org: o, bucket: b, token: t0ken, batch_max_lines: 2, flush_interval: 20ms",
            batches: 6, durable: Self.queryableInVictoriaMetrics(base))
        #expect(violations.isEmpty, "\(violations)")
    }

    @Test(arguments: ["v1", "v2"])
    func influxThatNobodyAnswersAcknowledgesFailed(api: String) async throws {
        let target = api == "v1" ? "database: nowhere" : "org: o, bucket: b, token: t0ken"
        let violations = try await SinkCompliance.check(
            type: "influx",
            options: "api: \(api), url: \"http://127.0.0.1:\(freePort())\", \(target), retry_max_attempts: 1, flush_interval: 20ms",
            expecting: .failed)
        #expect(violations.isEmpty, "\(violations)")
    }

    @Test func influxV1IntoAMissingDatabaseAcknowledgesFailed() async throws {
        let base = try #require(Servers.influxURL)
        let violations = try await SinkCompliance.check(
            type: "influx", options: "url: \"\(base)\", database: missing_\(UInt32.random(in: 0...UInt32.max)), flush_interval: 20ms, retry_max_attempts: 2, retry_initial_backoff: 10ms",
            expecting: .failed)
        #expect(violations.isEmpty, "\(violations)")
    }
}
