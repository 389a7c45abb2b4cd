import SmokePingFiles
import Foundation
import LibRRD
import EventModel
import PipelineRuntime
import SmokeflowTesting
import Testing

/// `downsample` with `mode: rrd` on a real SmokePing-layout file (made and updated with
/// rrdtool) equals the file's own 12-step and 144-step AVERAGE/MIN/MAX archives.
@Suite(.timeLimit(.minutes(3)))
struct RRDConsolidationTests {
    /// A 1-step archive long enough to hold every round, so the stream sees all primary rows.
    static let archives: [SmokePingLayout.Archive] = [
        .init("AVERAGE", 0.5, 1, 2100), .init("AVERAGE", 0.5, 12, 200), .init("MIN", 0.5, 12, 200), .init("MAX", 0.5, 12, 200),
        .init("AVERAGE", 0.5, 144, 20), .init("MAX", 0.5, 144, 20), .init("MIN", 0.5, 144, 20),
    ]

    @Test func consolidationEqualsTheFilesOwnArchives() async throws {
        let tree = SmokePingTree()
        let file = try await tree.create("Core/router.rrd", archives: Self.archives)
        // Six days with a five-hour outage (unknown steps around it exercise the xff rule).
        try await tree.update(file, rounds: 0..<700, seed: 3)
        try await tree.update(file, rounds: 760..<1800, seed: 3)
        let (key, probe) = Observer.make()
        let report = try await runPipeline("""
            state_dir: \(temporaryDirectory())
            sources:
              history: { type: rrd, mode: backfill, path: \(tree.root) }
            transforms:
              hourly: { type: downsample, inputs: [history], mode: rrd, window: 1h, measurements: { latency: latency_1h }, flush_at_end: true }
              half_day: { type: downsample, inputs: [history], mode: rrd, window: 12h, measurements: { latency: latency_12h }, flush_at_end: true }
            sinks:
              collect: { type: collect, inputs: [hourly, half_day], probe: \(key) }
            """)
        #expect(report.succeeded, "\(report.failures)")
        let points = probe.received.withLock { $0 }
        let lastUpdate = try #require(Int(try await SmokePingTree.rrdtool(["last", file]).trimmingCharacters(in: .whitespacesAndNewlines)))
        for (measurement, resolution, indices) in [("latency_1h", 3600, (1, 2, 3)), ("latency_12h", 43200, (4, 6, 5))] {
            let average = try await SmokePingTree.fetch(file, "AVERAGE", resolution: resolution, archive: indices.0)
            let minimum = try await SmokePingTree.fetch(file, "MIN", resolution: resolution, archive: indices.1)
            let maximum = try await SmokePingTree.fetch(file, "MAX", resolution: resolution, archive: indices.2)
            let mine = points.filter { $0.measurement == measurement }
            let ours = Dictionary(mine.map { (Int($0.timestamp / 1_000_000_000), $0) }) { first, _ in first }
            #expect(ours.count == mine.count, "\(measurement): one point per window")
            let complete = average.rows.keys.filter { $0 <= lastUpdate / resolution * resolution }.sorted()
            #expect(complete.count >= (measurement == "latency_1h" ? 140 : 11))
            var knownValues = 0
            var unknownValues = 0
            for stamp in complete {
                let point = ours[stamp]
                for (column, name) in average.names.enumerated() where name != "uptime" {
                    let field = name == "loss" ? "lost" : name.hasPrefix("ping") ? "ping_" + name.dropFirst(4) : name
                    let scale = name == "loss" ? 1.0 : 1000.0
                    for (suffix, archive) in [("", average), ("_min", minimum), ("_max", maximum)] {
                        let theirs = archive.rows[stamp]?[column] ?? .nan
                        var mine: Double?
                        if case .float(let value)? = point?.field(field + suffix) { mine = value }
                        if theirs.isNaN {
                            unknownValues += 1
                            #expect(mine == nil, "\(measurement) \(stamp) \(field + suffix): rrd unknown, ours \(mine ?? 0)")
                        } else {
                            knownValues += 1
                            let expected = theirs * scale
                            // rrdtool fetch prints 10 significant digits.
                            #expect(mine.map { abs($0 - expected) <= 1e-9 * max(abs(expected), 1e-3) } == true,
                                    "\(measurement) \(stamp) \(field + suffix): rrd \(expected), ours \(String(describing: mine))")
                        }
                    }
                }
            }
            #expect(knownValues > 700 && unknownValues > 20, "\(measurement): \(knownValues) known, \(unknownValues) unknown")
            // Nothing of ours outside the archive's complete rows but the still-open last window.
            #expect(ours.keys.filter { !average.rows.keys.contains($0) && $0 <= lastUpdate / resolution * resolution }.isEmpty)
        }
    }
}
