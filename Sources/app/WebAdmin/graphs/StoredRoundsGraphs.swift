public import ConfigManager
import Foundation
import SmokeGraph

/// Smoke graphs of the store's targets, from where their rounds are kept: the RRD tree (the rrd
/// sink's `<dir>/<name>.rrd`, or SmokePing's `<datadir>/<category>/<name>.rrd`) or InfluxDB
/// (`latency` by its `target` tag, rollups for long ranges). A target with no data yet gets an
/// empty graph that says so, never a broken image.
public struct StoredRoundsGraphs: SmokeGraphProvider {
    public enum Source: Sendable {
        case rrd(directory: String)
        case influx(InfluxSmokeReader)
    }

    let source: Source
    let rrd = RRDSmokeReader()

    public init(source: Source) { self.source = source }

    /// Where the rrd sink or SmokePing keeps a target's file, the first that exists.
    func file(for target: StoredTarget, in directory: String) -> String? {
        let record = target.record
        var candidates = [directory + "/" + record.name + ".rrd"]
        if let category = record.category, !category.isEmpty { candidates.append(directory + "/" + category + "/" + record.name + ".rrd") }
        candidates.append(directory + "/default/" + record.name + ".rrd")
        // The store's names are SmokePing's (no `/`, no `..`): a name cannot leave the tree.
        guard !record.name.contains("/"), !record.name.contains("..") else { return nil }
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    func rounds(for target: StoredTarget, window: GraphWindow, width: Int) async throws -> SmokeRounds {
        let (start, end) = window.bounds(now: Int(Date().timeIntervalSince1970))
        switch source {
        case .rrd(let directory):
            guard let path = file(for: target, in: directory) else { return SmokeRounds(start: start, end: end, step: 300, pings: 20, rounds: []) }
            return try await rrd.read(path, start: start, end: end, width: width)
        case .influx(let reader):
            return try await reader.read(target: target.record.name, start: start, end: end)
        }
    }

    static func options(for target: StoredTarget, window: GraphWindow, compact: Bool) -> SmokeGraphOptions {
        let title = target.record.title.isEmpty ? target.record.name : target.record.title
        if compact { return .sparkline(title: title) }
        let label: String
        switch window {
        case .preset(let preset): label = preset.label
        case .custom: label = "Custom range"
        }
        return SmokeGraphOptions(width: 700, height: 220, title: "\(title) — \(label.lowercased())")
    }

    public func svg(for target: StoredTarget, window: GraphWindow, compact: Bool) async throws -> String {
        let options = Self.options(for: target, window: window, compact: compact)
        return SmokeGraphRenderer.svg(try await rounds(for: target, window: window, width: options.width), options: options)
    }

    public func png(for target: StoredTarget, window: GraphWindow) async throws -> [UInt8] {
        try await SmokeGraphPNG.convert(svg: try await svg(for: target, window: window, compact: false))
    }

    public func summary(for target: StoredTarget, window: GraphWindow) async throws -> String {
        let rounds = try await rounds(for: target, window: window, width: 700)
        guard !rounds.rounds.isEmpty else { return "no rounds in this range yet" }
        let summary = rounds.summary
        func stats(_ stats: SeriesStats?, _ unit: String) -> String {
            guard let stats else { return "none" }
            return [stats.min, stats.average, stats.max, stats.last].map { String(format: "%.2f", $0) + unit }.joined(separator: " / ")
        }
        return "median min/avg/max/last \(stats(summary.median, " ms")); loss \(stats(summary.lossPercent, " %")); \(rounds.rounds.count) rounds"
    }
}
