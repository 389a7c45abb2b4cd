import Downsampling
import Foundation
import EventModel

/// The rounds of the downsample benchmark: `series` targets × `rounds` 5-minute rounds of 20
/// pings; Benchmarks/python/downsample.py generates the same rounds for the Python peer.
func benchRound(series: Int, round: Int) -> Point {
    let base = 10.0 + Double(series % 50) * 0.37 + Double(round % 7) * 0.05
    let lost = (series + round) % 20 == 0 ? 2 : 0
    let received = (1...(20 - lost)).map { base + Double($0) * 0.0123456789 * Double(1 + (series + round) % 3) }
    var fields: [Point.Field] = [.init("median", .float(received[received.count / 2]))]
    for (index, value) in received.enumerated() { fields.append(.init("ping_\(index + 1)", .float(value))) }
    fields += [.init("loss", .float(Double(lost) * 5)), .init("lost", .float(Double(lost))), .init("pings", .int(20))]
    return Point(
        measurement: "latency",
        tags: [.init("category", "C\(series % 10)"), .init("path", "C\(series % 10)/t\(series)"), .init("probe_type", "fping"), .init("target", "t\(series)")],
        fields: fields,
        timestamp: 1_764_374_400_000_000_000 + Int64(round) * 300_000_000_000 + 53_000_000_000
    )
}

func residentBytes() -> Int {
    let text = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? "0 0"
    return (Int(text.split(separator: " ")[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Throughput of `add` + `advance` (point generation is outside the clock), and the resident
/// memory the open windows of `series` series take once each holds 11 rounds.
func downsampleBenchmark(series: Int, rounds: Int) {
    var engine = Downsampler(rules: DownsampleRules(window: 3_600_000_000_000, measurements: ["latency": "latency_1h"]))
    var elapsed = Duration.zero
    var emitted = 0
    var checksum = 0.0
    var memoryPerSeries = 0
    var batch = (0..<series).map { benchRound(series: $0, round: 0) }
    let baseline = residentBytes()
    for round in 0..<rounds {
        let start = ContinuousClock.now
        for point in batch { _ = engine.add(point) }
        let out = engine.advance()
        elapsed += ContinuousClock.now - start
        emitted += out.count
        for point in out { if case .float(let median)? = point.field("median") { checksum += median } }
        if round == 10 {
            memoryPerSeries = (residentBytes() - baseline) / series
            // The checkpoint document the transform stores every checkpoint_interval.
            let encodeStart = ContinuousClock.now
            let size = (try? engine.encodedSnapshot().count) ?? 0
            print("downsample_state_document \(size / series) bytes per series, encoded in \(ContinuousClock.now - encodeStart) for \(series) series")
        }
        batch = (0..<series).map { benchRound(series: $0, round: round + 1) }
    }
    for point in engine.flushAll() {
        emitted += 1
        if case .float(let median)? = point.field("median") { checksum += median }
    }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print("downsample_points_per_second \(Int(Double(series * rounds) / seconds)) points/s")
    print("downsample_memory_per_active_series \(memoryPerSeries) bytes (11 rounds of 20 pings in the open window)")
    print("downsample_windows \(emitted) checksum \(String(format: "%.6f", checksum))")
}
