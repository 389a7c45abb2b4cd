import Foundation
import LibRRD
import SmokeGraph
import SmokePingFiles

/// `web-graphs`: a 20-ping SmokePing RRD with a year of rounds, drawn as a 30 h and a 1 y graph:
/// our read + SVG render against `rrdtool graph` with SmokePing's smoke recipe on the same file,
/// each the best of `rounds` runs, in the same process run.
func graphBenchmark(directory: String, rounds: Int) async throws {
    let layout = SmokePingLayout(step: 300, pings: 20)
    let client = RRDClient()
    let path = directory + "/graph-bench.rrd"
    let end = 1_764_000_000
    let start = end - 366 * 86_400
    try await client.create(path, step: 300, start: start, sources: layout.dataSourceDefinitions, archives: layout.archiveDefinitions, overwrite: true)
    var rows: [String] = []
    for round in 0..<((end - start) / 300) {
        let lost = round % 37 == 0 ? 3 : 0
        let times = (0..<(20 - lost)).map { 0.02 + Double($0) * 0.0002 + Double(round % 11) * 0.0001 }
        rows.append("\(start + (round + 1) * 300):" + layout.updateValue(roundTripTimes: times))
        if rows.count == 2000 {
            try await client.update(path, template: layout.template, rows: rows)
            rows.removeAll(keepingCapacity: true)
        }
    }
    if !rows.isEmpty { try await client.update(path, template: layout.template, rows: rows) }

    let reader = RRDSmokeReader(client: client)
    for (name, range) in [("30h", GraphRange.last30Hours), ("1y", GraphRange.lastYear)] {
        let (from, to) = range.interval(now: end)
        var ours = Double.infinity
        var maxSeconds = 0.0
        var bytes = 0
        for _ in 0..<rounds {
            let clock = ContinuousClock.now
            let data = try await reader.read(path, start: from, end: to, width: 600)
            let svg = SmokeGraphRenderer.svg(data, options: SmokeGraphOptions(title: "bench \(name)", timeZone: TimeZone(identifier: "UTC")!))
            ours = min(ours, seconds(ContinuousClock.now - clock))
            maxSeconds = ValueAxis.top(of: data) / 1000
            bytes = svg.utf8.count
        }
        var theirs = Double.infinity
        let arguments = SmokePingRecipe.arguments(rrd: path, output: directory + "/rrdtool-\(name).png", pings: 20, start: from, end: to, maxSeconds: maxSeconds, title: "bench \(name)")
        for _ in 0..<rounds {
            let clock = ContinuousClock.now
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/rrdtool")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw GraphBenchFailed(status: process.terminationStatus) }
            theirs = min(theirs, seconds(ContinuousClock.now - clock))
        }
        print("web_graphs_\(name)_smokeflow_ms \(String(format: "%.2f", ours * 1000)) ms (read + SVG render, \(bytes) bytes)")
        print("web_graphs_\(name)_rrdtool_graph_ms \(String(format: "%.2f", theirs * 1000)) ms (SmokePing's recipe, PNG)")
        print("web_graphs_\(name)_ratio \(String(format: "%.2f", theirs / ours)) x (rrdtool time / ours)")
    }
}

struct GraphBenchFailed: Error { var status: Int32 }
