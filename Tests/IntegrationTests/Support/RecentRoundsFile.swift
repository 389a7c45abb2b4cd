import Foundation
import SmokePingFiles
import SmokeflowTesting

/// A SmokePing-layout RRD (20 pings, step 300) whose rounds end at the last step before now,
/// written by the real `rrdtool`: what the web admin's graphs read for a target named `name`.
enum RecentRoundsFile {
    /// Round k (0 = the oldest) loses this many pings; the rest none.
    static func lost(_ round: Int) -> Int {
        switch round % 12 {
        case 3: 1
        case 7: 5
        default: 0
        }
    }

    /// Writes `<directory>/<name>.rrd` with `rounds` rounds; returns the first and last round's time.
    @discardableResult
    static func write(directory: String, name: String, rounds: Int = 72) async throws -> (first: Int, last: Int) {
        let layout = SmokePingLayout(step: 300, pings: 20)
        let last = Int(Date().timeIntervalSince1970) / 300 * 300
        let first = last - (rounds - 1) * 300
        let path = directory + "/" + name + ".rrd"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = try await SmokePingTree.rrdtool(
            ["create", path, "--start", String(first - 300), "--step", "300"] + layout.dataSourceDefinitions + layout.archiveDefinitions)
        let rows = (0..<rounds).map { round -> String in
            let received = 20 - lost(round)
            let offset = 0.010 + Double(round % 5) / 10_000
            let times: [Double] = (0..<received).map { (index: Int) -> Double in offset + Double(index) * 0.004 / 19 }
            return "\(first + round * 300):" + layout.updateValue(roundTripTimes: times)
        }
        for batch in stride(from: 0, to: rows.count, by: 100) {
            _ = try await SmokePingTree.rrdtool(["update", path, "--template", layout.template] + rows[batch..<min(batch + 100, rows.count)])
        }
        return (first, last)
    }
}
