import Components
import Downsampling
import EventModel
import Logging
import PipelineConfig
import PipelineRuntime
import TargetStore
import Testing

/// Review M6: the join's stale marker must not change a point's series. As a tag
/// (`stale_tag`), every point served from a stale snapshot belonged to another series, so a
/// window spanning the start of an outage was rolled up twice, each half with partial
/// aggregates (and InfluxDB grew a second series). It is a boolean field now (`stale_field`).
@Suite struct StaleMarkerTests {
    static let hour: Int64 = 3_600_000_000_000

    static func join(_ yaml: String) throws -> PostgresJoin {
        let node = try YAMLLoader(environment: [:]).load(text: yaml, file: "test.yaml")
        var options = OptionsReader(componentID: "join", location: node.location, pairs: node.mapping ?? [])
        let configuration = PostgresJoinConfiguration(options: &options)
        try options.finish()
        return try configuration.build(BuildContext(id: "join", logger: Logger(label: "test")))
    }

    /// Round `index` of target r1, every 5 minutes from 10:00.
    static func round(_ index: Int) -> Point {
        Point(
            measurement: "latency", tags: [.init("target", "r1")],
            fields: [.init("median", .float(Double(index))), .init("loss", .float(0)), .init("lost", .float(0)), .init("pings", .int(20))],
            timestamp: hour * 10 + Int64(index) * 300_000_000_000
        )
    }

    @Test func aWindowSpanningTheStartOfAnOutageIsRolledUpOnce() throws {
        let join = try Self.join("targets_file: /nonexistent\nstale_field: metadata_stale")
        join.cache.replace(MetadataSnapshot(targets: [TargetRecord(name: "r1", host: "127.0.0.1", site: "ams")]))
        var fresh = (0..<6).map(Self.round)
        join.apply(join.cache.current, to: &fresh)
        // The origin goes away half way through the hour.
        _ = join.cache.markStale()
        var stale = (6..<12).map(Self.round)
        join.apply(join.cache.current, to: &stale)

        #expect(fresh.allSatisfy { $0.field("metadata_stale") == nil && $0.tag("site") == "ams" })
        #expect(stale.allSatisfy { $0.field("metadata_stale") == .bool(true) && $0.tag("site") == "ams" })
        #expect(Set((fresh + stale).map(\.tags)).count == 1, "the stale marker changed the series: \(Set((fresh + stale).map(\.tags)))")

        var downsampler = Downsampler(rules: DownsampleRules(window: Self.hour, measurements: ["latency": "latency_1h"]))
        for point in fresh + stale { _ = downsampler.add(point) }
        let rollups = downsampler.advance() + downsampler.flushAll()
        #expect(rollups.count == 1, "\(rollups)")
        #expect(rollups.first?.field("median_count") == .int(12))
        #expect(rollups.first?.field("median") == .float(5.5))
    }

    @Test func staleTagIsRefusedWithItsReplacement() throws {
        let error = try #require(throws: ConfigErrors.self) { try Self.join("targets_file: /nonexistent\nstale_tag: stale") }
        #expect("\(error)".contains("stale_tag was replaced by stale_field"), "\(error)")
        #expect("\(error)".contains("test.yaml:2"), "\(error)")
    }
}
