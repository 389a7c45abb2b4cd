import Foundation
import Logging
import PipelineConfig
import Postgres
import Components
import TargetStore
import EventModel
import PipelineRuntime

/// The 10,000 targets of the join benchmarks (also written as CSV for `targets import`).
func benchmarkTargets(_ count: Int) -> [TargetRecord] {
    (0..<count).map { index in
        TargetRecord(
            name: "target-\(index)", host: "10.\(index / 65536 % 256).\(index / 256 % 256).\(index % 256)",
            title: "Target \(index)", isActive: index % 100 != 99, category: index % 2 == 0 ? "default" : "dns",
            probe: "FPing", site: "site-\(index % 40)", cachegroup: "cg-\(index % 300)"
        )
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func transform<C: TransformConfiguration>(_ type: C.Type, _ yaml: String) throws -> C.Component {
    let node = try YAMLLoader(environment: [:]).load(text: yaml, file: "bench.yaml")
    var options = OptionsReader(componentID: "bench", location: node.location, pairs: node.mapping ?? [])
    let configuration = C(options: &options)
    try options.finish()
    return try configuration.build(BuildContext(id: "bench", logger: Logger(label: "bench")))
}

/// `postgres_join` over 1,000,000 latency points with 10,000 targets cached, against
/// `add_tags` adding the same number of static tags (the cheapest enrichment there is).
func joinThroughputBenchmark(points count: Int, targets: Int) throws {
    let snapshot = MetadataSnapshot(targets: benchmarkTargets(targets))
    let join = try transform(PostgresJoinConfiguration.self, "targets_file: /nonexistent\nunknown: tag")
    join.cache.replace(snapshot)
    let addTags = try transform(AddTagsConfiguration.self, "tags: { category: core, site: site-1, cachegroup: cg-1, title: T, probe: FPing }")
    let points = (0..<count).map { index in
        var point = latencyPoint(index)
        point.setTag("target", "target-\(index % targets)")
        return point
    }
    let batchSize = 1000
    func run(_ body: (inout [Point]) throws -> Void) rethrows -> (seconds: Double, kept: Int) {
        var best = Double.infinity
        var kept = 0
        for _ in 0..<5 {
            kept = 0
            let start = ContinuousClock.now
            var index = 0
            while index < points.count {
                var batch = Array(points[index..<min(index + batchSize, points.count)])
                try body(&batch)
                kept += batch.count
                index += batchSize
            }
            best = min(best, seconds(ContinuousClock.now - start))
        }
        return (best, kept)
    }
    let state = join.cache.current
    let joined = run { join.apply(state, to: &$0) }
    let added = try run { points in
        var batch = Batch(points: points, acknowledgements: [])
        try addTags.transform(&batch)
        points = batch.points
    }
    print("join_points_per_second \(Int(Double(count) / joined.seconds)) points/s (\(targets) targets cached, \(count - joined.kept) inactive dropped)")
    print("add_tags_points_per_second \(Int(Double(count) / added.seconds)) points/s (5 static tags)")
    print("join_cost_vs_add_tags \(String(format: "%.2f", joined.seconds / added.seconds))x")
}

/// A full refresh as the join does it (query + snapshot), median of 20, on a live database.
func joinRefreshBenchmark(url: String) async throws {
    let connection = try await PostgresConnection.connect(url)
    let store = MetadataStore(connection: connection)
    var times: [Double] = []
    var count = 0
    for _ in 0..<20 {
        let start = ContinuousClock.now
        let snapshot = MetadataSnapshot(targets: try await store.targets())
        times.append(seconds(ContinuousClock.now - start))
        count = snapshot.targets.count
    }
    await connection.close()
    times.sort()
    print("join_full_refresh_ms \(String(format: "%.1f", times[times.count / 2] * 1000)) ms (median of 20, \(count) targets)")
}
