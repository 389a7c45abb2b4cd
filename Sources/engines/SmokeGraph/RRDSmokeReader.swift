public import LibRRD

/// Reads a SmokePing RRD file (`uptime`, `loss`, `median`, `ping1` … `pingN`, times in seconds)
/// into `SmokeRounds` in milliseconds. librrd runs on `RRDClient`'s thread pool, never on the
/// cooperative pool.
public struct RRDSmokeReader: Sendable {
    public let client: RRDClient

    public init(client: RRDClient = RRDClient()) {
        self.client = client
    }

    /// The rows of [start, end] at the resolution a graph `width` pixels wide needs: SmokePing
    /// lets rrdtool graph ask rrd_fetch for (end − start)/width seconds per row, and librrd picks
    /// the archive whose step matches best.
    public func read(_ path: String, start: Int, end: Int, width: Int) async throws -> SmokeRounds {
        let resolution = GraphRange.resolution(start: start, end: end, width: width)
        let fetch = try await client.fetch(path, consolidation: "AVERAGE", start: start, end: end, resolution: resolution)
        return try Self.rounds(from: fetch, path: path)
    }

    public func read(_ path: String, range: GraphRange, now: Int, width: Int) async throws -> SmokeRounds {
        let (start, end) = range.interval(now: now)
        return try await read(path, start: start, end: end, width: width)
    }

    /// Maps fetched rows; exposed for tests and for readers that fetch themselves.
    public static func rounds(from fetch: RRDFetch, path: String = "") throws -> SmokeRounds {
        let names = fetch.dataSources
        guard let lossIndex = names.firstIndex(of: "loss"), let medianIndex = names.firstIndex(of: "median") else {
            throw SmokeGraphError.notSmokePing(path: path, dataSources: names)
        }
        // ping1 … pingN in their numeric order, whatever order the file lists them in.
        let pingIndexes = names.indices
            .compactMap { index -> (Int, Int)? in
                let name = names[index]
                guard name.hasPrefix("ping"), let number = Int(name.dropFirst(4)) else { return nil }
                return (number, index)
            }
            .sorted { $0.0 < $1.0 }
            .map(\.1)
        let pings = pingIndexes.count
        var rounds: [SmokeRound] = []
        rounds.reserveCapacity(fetch.rowCount)
        for row in 0..<fetch.rowCount {
            let loss = fetch.value(row: row, source: lossIndex)
            let median = fetch.value(row: row, source: medianIndex)
            var times: [Double] = []
            times.reserveCapacity(pings)
            for index in pingIndexes {
                let value = fetch.value(row: row, source: index)
                if !value.isNaN { times.append(value * 1000) }
            }
            rounds.append(SmokeRound(
                time: fetch.timestamp(ofRow: row), pings: pings, times: times,
                median: median.isNaN ? nil : median * 1000, loss: loss.isNaN ? nil : loss))
        }
        return SmokeRounds(start: fetch.start, end: fetch.end, step: fetch.step, pings: pings, rounds: rounds)
    }
}

public enum SmokeGraphError: Error, Sendable, Equatable, CustomStringConvertible {
    case notSmokePing(path: String, dataSources: [String])
    case converterMissing(tool: String)
    case conversionFailed(tool: String, status: Int32, message: String)

    public var description: String {
        switch self {
        case let .notSmokePing(path, sources):
            "\(path) is not a SmokePing RRD (needs loss, median, ping1…; has \(sources.joined(separator: ", ")))"
        case let .converterMissing(tool):
            "\(tool) was not found on PATH; install librsvg2-bin (Debian) to get PNG graphs"
        case let .conversionFailed(tool, status, message):
            "\(tool) exited with status \(status): \(message)"
        }
    }
}
