import Foundation
public import SmokePingFiles
import LibRRD

/// SmokePing-layout RRD files made with the real `rrdtool`, updated the way SmokePing does
/// (rounds ending 53 s into each 300 s step, its update string), with archives small enough
/// that a few days of rounds reach every tier.
public struct SmokePingTree {
    public init() {}

    public static let smallArchives: [SmokePingLayout.Archive] = [
        .init("AVERAGE", 0.5, 1, 100), .init("AVERAGE", 0.5, 12, 50), .init("MIN", 0.5, 12, 50), .init("MAX", 0.5, 12, 50),
        .init("AVERAGE", 0.5, 144, 20), .init("MAX", 0.5, 144, 20), .init("MIN", 0.5, 144, 20),
    ]
    public static let start = 1_764_374_400  // a step boundary

    public let root = temporaryDirectory()

    @discardableResult
    public static func rrdtool(_ arguments: [String]) async throws -> String {
        let result = try await runProgram("/usr/bin/rrdtool", arguments, mergingErrors: true)
        guard result.status == 0 else {
            throw RRDError(path: arguments.dropFirst().first ?? "", operation: arguments.first ?? "rrdtool", message: result.output)
        }
        return result.output
    }

    /// `rrdtool info` lines that describe the layout (not the data, the state or the file name).
    public static func schema(_ path: String) async throws -> [String] {
        try await rrdtool(["info", path]).split(separator: "\n").map(String.init).filter { line in
            !line.hasPrefix("filename") && !line.hasPrefix("last_update") && !line.contains(".last_ds") && !line.contains(".value")
                && !line.contains(".unknown_sec") && !line.contains(".cur_row") && !line.contains("cdp_prep")
        }
    }

    /// Creates `relative` (e.g. `Core/router-1.rrd`) as Smokeping.pm does, just before `start`.
    public func create(_ relative: String, pings: Int = 20, archives: [SmokePingLayout.Archive] = smallArchives) async throws -> String {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let layout = SmokePingLayout(pings: pings, archives: archives)
        try await Self.rrdtool(["create", path, "--start", "\(Self.start - 1)", "--step", "300"] + layout.dataSourceDefinitions + layout.archiveDefinitions)
        return path
    }

    /// Rounds `range` (step numbers from `start`), deterministic per file and round.
    public func update(_ path: String, rounds range: Range<Int>, pings: Int = 20, seed: Int = 1) async throws {
        let layout = SmokePingLayout(pings: pings)
        var rows: [String] = []
        for round in range {
            let time = Self.start + round * 300 + 53
            let lost = (round * 7 + seed) % 23 == 0 ? pings : (round + seed) % 5 == 0 ? 2 : 0
            let base = 0.005 + Double((seed * 13 + round) % 40) * 0.0005
            let received = (0..<(pings - lost)).map { base + Double(($0 * 5 + round) % 17) * 0.0001 }
            rows.append("\(time):\(layout.updateValue(roundTripTimes: received))")
        }
        for chunk in stride(from: 0, to: rows.count, by: 500) {
            try await Self.rrdtool(["update", path, "--template", layout.template] + rows[chunk..<min(chunk + 500, rows.count)])
        }
    }

    /// `rrdtool fetch` of one archive over its own coverage, by row stamp.
    public static func fetch(_ path: String, _ function: String, resolution: Int, archive: Int) async throws -> (names: [String], rows: [Int: [Double]]) {
        func stamp(_ arguments: [String]) async throws -> Int {
            let output = try await rrdtool(arguments)
            guard let value = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw RRDError(path: path, operation: arguments[0], message: "not a time: \(output)")
            }
            return value
        }
        let first = try await stamp(["first", path, "--rraindex", "\(archive)"])
        let last = try await stamp(["last", path])
        let text = try await rrdtool(["fetch", path, function, "-r", "\(resolution)", "-s", "\(first - resolution)", "-e", "\(last)"])
        let lines = text.split(separator: "\n")
        let names = lines.first.map { $0.split(separator: " ").map(String.init) } ?? []
        var rows: [Int: [Double]] = [:]
        for line in lines.dropFirst() where line.contains(":") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let time = Int(parts[0]) else {
                throw RRDError(path: path, operation: "fetch", message: "unreadable row: \(line)")
            }
            rows[time] = parts[1].split(separator: " ").map { Double($0) ?? .nan }
        }
        return (names, rows)
    }
}
