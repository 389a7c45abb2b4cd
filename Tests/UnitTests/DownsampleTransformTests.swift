import Foundation
import LineProtocol
import EventModel
import PipelineRuntime
import SmokeflowTesting
import Testing
import Zstd

/// The `downsample` transform in pipelines: restart in the middle of a window, late data.
@Suite(.serialized) struct DownsampleTransformTests {
    static func fixture() throws -> [Point] {
        try LineProtocolParser.parse(String(decoding: try zstdDecompressed(packageRoot() + "/fixtures/day.lp.zst"), as: UTF8.self))
    }

    func rollups(_ points: [Point], stateDir: String? = nil, options: String = "") async throws -> (RunReport, [Point], Observer) {
        let key = TestData.register(points)
        let (sourceProbe, source) = Observer.make()
        let (collected, probe) = Observer.make()
        let report = try await runPipeline("""
            \(stateDir.map { "state_dir: \($0)" } ?? "")
            sources:
              raw: { type: memory, key: \(key), batch_size: 100, probe: \(sourceProbe) }
            transforms:
              hourly: { type: downsample, inputs: [raw], window: 1h \(options) }
            sinks:
              out: { type: collect, inputs: [hourly], probe: \(collected) }
            """)
        return (report, probe.received.withLock { $0 }, source)
    }

    @Test func restartInTheMiddleOfAWindowLosesNothing() async throws {
        let points = try Self.fixture()
        let (_, whole, _) = try await rollups(points)
        #expect(whole.count == 8 * 24)

        // Stop at 5:30 into the day: the 5:00 window is in progress.
        let cut = try #require(points.first).timestamp / 3_600_000_000_000 * 3_600_000_000_000 + 19_800_000_000_000
        let stateDir = temporaryDirectory()
        let (first, before, source) = try await rollups(points.filter { $0.timestamp < cut }, stateDir: stateDir)
        #expect(first.succeeded, "\(first.failures)")
        #expect(before.count == 8 * 5)  // 0:00 … 4:00 closed; 5:00 kept in the state directory
        #expect(FileManager.default.fileExists(atPath: stateDir + "/downsample-hourly.json"))
        // The source's batches are acknowledged once the state holding them is stored.
        #expect(source.statuses.withLock { $0.allSatisfy { $0 == .delivered } && $0.count == Int((Double(points.filter { $0.timestamp < cut }.count) / 100).rounded(.up)) })

        let (second, after, _) = try await rollups(points.filter { $0.timestamp >= cut }, stateDir: stateDir, options: ", flush_at_end: true")
        #expect(second.succeeded, "\(second.failures)")
        #expect(Set(before + after) == Set(whole))
        #expect(before.count + after.count == whole.count)
    }

    @Test func lateDataIsCountedAndDropped() async throws {
        var points = try Self.fixture().filter { $0.tag("target") == "router-001" }
        // A round from 0:10 arriving after 2:00: later than the 10 minutes allowed.
        let late = points.remove(at: 2)
        points.insert(late, at: 30)
        let (report, out, _) = try await rollups(points, options: ", allowed_lateness: 10m")
        #expect(report.succeeded)
        #expect(report.counts.first { $0.id == "hourly" }?.dropped == 1)
        #expect(out.count == 24)
        #expect(out.first?.field("median_count") == .int(11))
    }
}
