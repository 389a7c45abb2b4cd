import Components
import EventModel

/// The rounds of the alert benchmark, the same in scripts/lib/smokeping-alert-bench.pl: target
/// `t`'s round `r` loses all 5 pings in 3 of every 17 rounds, 1 ping in 1 of every 11 others,
/// and has a 250 ms median in 4 of every 23 rounds (else 20 ms).
func alertRound(target: Int, round: Int) -> (lost: Int, medianMilliseconds: Double?) {
    let lost = (round + target) % 17 < 3 ? 5 : ((round * 7 + target) % 11 == 0 ? 1 : 0)
    return (lost, lost == 5 ? nil : ((round + target) % 23 < 4 ? 250 : 20))
}

let alertBenchmarkRules = """
    rules:
      someloss: { type: loss, pattern: ">0%,*12*,>0%,*12*,>0%", edgetrigger: true }
      threeinarow: { type: loss, pattern: ">0%,>0%,>0%", edgetrigger: true }
      bigrtt: { type: rtt, pattern: "<100,<100,>200,>200,>200" }
    targets: { "Core/*": [someloss, threeinarow, bigrtt] }
    queue_size: 1000000
    """

/// One round of every target, as the probe source sends them.
func alertRoundPoints(round: Int, targets: Int) -> [Point] {
    (0..<targets).map { target in
        let (lost, median) = alertRound(target: target, round: round)
        var fields: [Point.Field] = [.init("loss", .float(Double(lost * 20))), .init("lost", .float(Double(lost))), .init("pings", .int(5))]
        if let median { fields.insert(.init("median", .float(median)), at: 0) }
        for ping in 0..<(5 - lost) { fields.append(.init("ping_\(ping + 1)", .float(median ?? 0))) }
        return Point(
            measurement: "latency",
            tags: [.init("target", "t\(target)"), .init("path", "Core/t\(target)"), .init("category", "Core"), .init("probe_type", "fping")],
            fields: fields, timestamp: 1_764_374_400_000_000_000 + Int64(round) * 300_000_000_000)
    }
}

/// The `alert` transform's evaluation (no notifier, no checkpoint): `rounds` rounds of each of
/// `targets` targets with 3 rules, in batches of 1,000 points; only the evaluation is timed (a
/// round's points are made before it), best of 3; nanoseconds per point.
func alertBenchmark(targets: Int, rounds: Int) throws {
    var best = Double.infinity
    var edges = 0
    for _ in 0..<3 {
        let alert = try transform(AlertConfiguration.self, alertBenchmarkRules)
        var elapsed = 0.0
        for round in 0..<rounds {
            let points = alertRoundPoints(round: round, targets: targets)
            let start = ContinuousClock.now
            var index = 0
            while index < points.count {
                alert.evaluate(Batch(points: Array(points[index..<min(index + 1000, points.count)])))
                index += 1000
            }
            elapsed += seconds(ContinuousClock.now - start)
        }
        best = min(best, elapsed)
        let counted = alert.counters.snapshot
        edges = counted.raised + counted.cleared
    }
    let count = Double(targets * rounds)
    print("alert_ns_per_point \(String(format: "%.0f", best / count * 1e9)) ns (\(targets) targets x 3 rules, \(rounds) rounds, \(edges) edges)")
    print("alert_points_per_second \(Int(count / best)) points/s")
}
