// Benchmarks for scripts/bench (release build). Prints one `name value unit` line per figure.
import SmokePingFiles
import Foundation
import LineProtocol
import NIOCore
import LibRRD
import Components
import TargetStore
import EventModel

/// The SmokePing `latency` point of the encode benchmark; Benchmarks/python/encode.py builds
/// the same points for the Python peer.
func latencyPoint(_ index: Int) -> Point {
    let base = 10.0 + Double(index % 50) * 0.37
    var fields: [Point.Field] = [
        .init("median", .float(base + 10 * 0.0123456789)),
        .init("loss", .float(Double(index % 20) * 5.0)),
    ]
    for ping in 1...20 { fields.append(.init("ping_\(ping)", .float(base + Double(ping) * 0.0123456789))) }
    return Point(
        measurement: "latency",
        tags: [.init("target", "router-\(index % 200)"), .init("probe_type", "fping"), .init("category", "Core")],
        fields: fields,
        timestamp: 1_764_374_400_000_000_000 + Int64(index / 200) * 300_000_000_000
    )
}

func encodeBenchmark(points count: Int, rounds: Int) throws {
    let points = (0..<count).map(latencyPoint)
    var encoder = LineProtocolEncoder()
    var buffer = ByteBuffer()
    buffer.reserveCapacity(64 << 20)
    var best = Double.infinity
    var bytes = 0
    for _ in 0..<rounds {
        buffer.clear()
        bytes = 0
        let start = ContinuousClock.now
        for point in points {
            try encoder.encode(point, into: &buffer)
            if buffer.readableBytes > 60 << 20 {
                bytes += buffer.readableBytes
                buffer.clear()
            }
        }
        let elapsed = ContinuousClock.now - start
        bytes += buffer.readableBytes
        best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
    print("encode_points_per_second \(Int(Double(count) / best)) points/s")
    print("encode_ns_per_point \(String(format: "%.1f", best / Double(count) * 1e9)) ns")
    print("encode_bytes_per_point \(bytes / count) bytes")
}

let arguments = CommandLine.arguments
switch arguments.dropFirst().first {
case "join":
    let count = arguments.count > 2 ? Int(arguments[2])! : 1_000_000
    try joinThroughputBenchmark(points: count, targets: 10_000)
case "alert":
    // alert [ROUNDS]: 10,000 targets x 3 rules, ROUNDS rounds each (default 60).
    try alertBenchmark(targets: 10_000, rounds: arguments.count > 2 ? Int(arguments[2])! : 60)
case "join-targets":
    // The benchmark's targets as CSV for `smokeflow targets import`.
    print(TargetExport.render(benchmarkTargets(Int(arguments[2])!), as: .csv), terminator: "")
case "join-refresh":
    try await joinRefreshBenchmark(url: arguments[2])
case "web-graphs":
    // web-graphs DIRECTORY [ROUNDS]: our smoke graph vs rrdtool graph on the same RRD.
    try await graphBenchmark(directory: arguments[2], rounds: arguments.count > 3 ? Int(arguments[3])! : 10)
case "encode":
    let count = arguments.count > 2 ? Int(arguments[2])! : 1_000_000
    try encodeBenchmark(points: count, rounds: 5)
case "float-check":
    floatCheck(count: arguments.count > 2 ? Int(arguments[2])! : 10_000_000)
case "dump":
    // The benchmark's points as line protocol, to check the Python peer serializes the same.
    var encoder = LineProtocolEncoder()
    var buffer = ByteBuffer()
    for index in 0..<(arguments.count > 2 ? Int(arguments[2])! : 10) { try encoder.encode(latencyPoint(index), into: &buffer) }
    print(String(buffer: buffer), terminator: "")
case "rrd-plan":
    // The segments the rrd source's backfill reads, for the peers of the RRD benchmark:
    // PATH<TAB>CF<TAB>START<TAB>END<TAB>RESOLUTION per line.
    let client = RRDClient()
    for file in try TreeScanner(root: arguments[2]).scan() {
        let info = try await client.info(file.absolutePath)
        var firsts: [Int: Int] = [:]
        for archive in info.archives { firsts[archive.index] = try await client.first(file.absolutePath, archive: archive.index) }
        for segment in ArchivePlan(info: info, firstRows: firsts, until: nil).segments {
            for function in segment.consolidations {
                print("\(file.absolutePath)\t\(function)\t\(segment.start)\t\(segment.end)\t\(segment.resolution)")
            }
        }
    }
case "downsample":
    downsampleBenchmark(series: arguments.count > 2 ? Int(arguments[2])! : 10_000, rounds: arguments.count > 3 ? Int(arguments[3])! : 36)
case "downsample-lp":
    // The downsample benchmark's rounds as line protocol, for the influxd peer.
    var encoder = LineProtocolEncoder()
    var buffer = ByteBuffer()
    let series = Int(arguments[2])!
    for round in 0..<Int(arguments[3])! {
        for target in 0..<series { try encoder.encode(benchRound(series: target, round: round), into: &buffer) }
        FileHandle.standardOutput.write(Data(buffer.readableBytesView))
        buffer.clear()
    }
default:
    print("usage: smokeflow-bench encode [POINTS] | dump [POINTS] | rrd-plan DIR | downsample [SERIES] [ROUNDS]")
    exit(2)
}
