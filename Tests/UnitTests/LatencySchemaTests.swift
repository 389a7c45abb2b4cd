@testable import Components
import EventModel
import PipelineConfig
@testable import ProbeEngine
@testable import SmokePingFiles
import Testing

/// `LatencySchema`: the names of docs/schema.md and SmokePing's round layout, and that every
/// place that lays out a round (probe points, RRD update values, RRD rows read back, the RRD
/// sink's reading of points) agrees on it.
@Suite struct LatencySchemaTests {
    @Test func pingNamesComeFromTheTable() {
        #expect(LatencySchema.pingFieldName(1) == "ping_1")
        #expect(LatencySchema.pingFieldName(20) == "ping_20")
        #expect(LatencySchema.pingFieldName(LatencySchema.maxPings) == "ping_1000")
        #expect(LatencySchema.pingFieldName(1001) == "ping_1001")
    }

    @Test func rollupsAreNamedByTheirWindow() {
        let second: Int64 = 1_000_000_000
        #expect(LatencySchema.Measurement.rollup("latency", window: 3600 * second) == "latency_1h")
        #expect(LatencySchema.Measurement.rollup("dns_latency", window: 86400 * second) == "dns_latency_1d")
        #expect(LatencySchema.durationName(43200 * second) == "12h")
        #expect(LatencySchema.durationName(300 * second) == "5m")
        #expect(LatencySchema.durationName(90 * second) == "90s")
        #expect(LatencySchema.durationName(500_000_000) == "500ms")
        // The RRD reader's consolidated rows and the downsample transform use the same names.
        let file = SmokePingFile(relativePath: "Core/router.rrd", absolutePath: "/x/Core/router.rrd")
        #expect(RowMapper(file: file, probeType: "fping", pings: 20).measurement(resolution: 3600, consolidated: true) == "latency_1h")
        #expect(RowMapper(file: file, probeType: "dns", pings: 5).measurement(resolution: 43200, consolidated: true) == "dns_latency_12h")
    }

    /// `received` of `sent` pings: the ping numbers of the sorted times.
    @Test(arguments: [
        (sent: 5, received: 5, numbers: 1..<6),  // nothing lost
        (sent: 5, received: 0, numbers: 3..<3),  // all lost: no numbers
        (sent: 5, received: 2, numbers: 2..<4),  // 3 lost (odd): 1 before, 2 after
        (sent: 6, received: 2, numbers: 3..<5),  // 4 lost (even): 2 before, 2 after
        (sent: 20, received: 19, numbers: 1..<20),  // 1 lost: after the times
        (sent: 1, received: 1, numbers: 1..<2),  // one ping, answered
        (sent: 1, received: 0, numbers: 1..<1),  // one ping, lost
    ])
    func roundLayout(sent: Int, received: Int, numbers: Range<Int>) {
        #expect(LatencySchema.receivedPingNumbers(received: received, sent: sent) == numbers)
    }

    @Test func theUpperMedian() {
        #expect(LatencySchema.median(sorted: []) == nil)
        #expect(LatencySchema.median(sorted: [1]) == 1)
        #expect(LatencySchema.median(sorted: [1, 2]) == 2)
        #expect(LatencySchema.median(sorted: [1, 2, 3]) == 2)
    }

    /// Times in ms that are exact in binary as seconds too, so every conversion round-trips.
    static let rounds: [(sent: Int, times: [Double])] = [
        (5, [125, 250, 500, 1000, 2000]),  // nothing lost
        (5, []),  // all lost
        (5, [250, 125]),  // odd lost, given unsorted to the RRD layout
        (6, [500, 125]),  // even lost
        (1, [250]),  // one ping
        (1, []),  // one ping, lost
    ]

    @Test(arguments: 0..<rounds.count)
    func theFourPlacesThatLayOutARoundAgree(case index: Int) throws {
        let (sent, received) = Self.rounds[index]
        let sorted = received.sorted()
        let numbers = LatencySchema.receivedPingNumbers(received: sorted.count, sent: sent)
        let expected = Dictionary(uniqueKeysWithValues: zip(numbers, sorted).map { ("ping_\($0)", $1) })

        // 1. The probe source's point.
        let target = ProbeTarget(name: "router", host: "192.0.2.1", path: "Core/router")
        let round = RoundResult(target: target, startedAt: 1_700_000_000_000_000_000, sent: sent, times: sorted)
        let point = RoundPoints(kind: .icmp).point(round)
        #expect(Self.pingFields(point) == expected)

        // 2. SmokePing's update value for the round, and 3. the RRD sink's for the point.
        let layout = SmokePingLayout(pings: sent)
        let value = layout.updateValue(roundTripTimes: received.map { $0 / 1000 })
        let slots = value.split(separator: ":").map(String.init)
        #expect(slots.count == 3 + sent)
        #expect(slots[1] == "\(sent - received.count)")
        for number in 1...sent {
            let slot = slots[2 + number]
            if let time = expected["ping_\(number)"] {
                #expect(Double(slot).map { $0 * 1000 } == time, "ping\(number) of \(value)")
            } else {
                #expect(slot == "U", "ping\(number) of \(value)")
            }
        }
        var reader = OptionsReader.scalars([("path", "/unused")])
        let sink = RRDSink(configuration: RRDSinkConfiguration(options: &reader))
        let row = try sink.updateRow(for: point)
        #expect(row.file == "/unused/Core/router.rrd" && row.pings == sent)
        #expect(row.value == value)

        // 4. The RRD reader's point for that row.
        let mapper = RowMapper(
            file: SmokePingFile(relativePath: "Core/router.rrd", absolutePath: "/unused/Core/router.rrd"), probeType: "fping", pings: sent)
        let values = try slots.map { $0 == "U" ? Double.nan : try #require(Double($0), "update value \($0)") }
        let read = try #require(mapper.point(
            time: row.seconds, resolution: 300, consolidated: false, columns: RowMapper.Columns(layout.dataSourceNames),
            rows: [(suffix: "", values: values[...])]))
        #expect(Self.pingFields(read) == expected)
        #expect(read.field("median") == point.field("median"))
        #expect(read.field("lost") == point.field("lost") && read.field("pings") == point.field("pings"))
    }

    static func pingFields(_ point: Point) -> [String: Double] {
        var fields: [String: Double] = [:]
        for field in point.fields where field.key.hasPrefix("ping_") {
            if case .float(let value) = field.value { fields[field.key] = value }
        }
        return fields
    }

    @Test func tagsSortInByteOrder() {
        // Upper case before lower case, and a multi-byte letter after every ASCII one.
        #expect(Point.byteOrder("Site", "category"))
        #expect(Point.byteOrder("zone", "été"))
        #expect(!Point.byteOrder("été", "zone"))
        let point = Point(measurement: "m", tags: [.init("été", "1"), .init("site", "2"), .init("Zone", "3")], fields: [.init("f", .int(1))], timestamp: 0)
        #expect(point.tags.map(\.key) == ["Zone", "site", "été"])
    }
}
