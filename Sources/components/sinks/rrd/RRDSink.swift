import SmokePingFiles
import Foundation
import Logging
import NIOPosix
import PipelineConfig
import LibRRD
import EventModel
public import PipelineRuntime
#if canImport(Glibc)
import Glibc
#endif

public struct RRDSink: Sink {
    let configuration: RRDSinkConfiguration
    let client = RRDClient()

    struct Refusal: Error, CustomStringConvertible {
        let description: String
    }

    public func run(context: StageContext, input: StageInput) async throws {
        var rejections = RejectionLog(logger: context.logger)
        var known: Set<String> = []
        for await batch in input {
            context.counters.add(received: batch.points.count)
            var rows: [String: (pings: Int, rows: [(Int, String)])] = [:]
            var refused = 0
            for point in batch.points {
                do {
                    let (file, pings, row) = try updateRow(for: point)
                    rows[file, default: (pings, [])].rows.append(row)
                } catch {
                    refused += 1
                    rejections.note(error)
                }
            }
            var written = 0
            do {
                for (file, entry) in rows.sorted(by: { $0.key < $1.key }) {
                    let layout = layout(pings: entry.pings)
                    let sorted = entry.rows.sorted { $0.0 < $1.0 }
                    if !known.contains(file) {
                        if try await !Self.prepareDirectory(for: file) {
                            try await client.create(
                                file, step: layout.step, start: sorted[0].0 - 1, sources: layout.dataSourceDefinitions,
                                archives: layout.archiveDefinitions)
                        }
                        known.insert(file)
                    }
                    // Rounds not newer than the file's last update would make librrd refuse the whole call.
                    let last = try await client.lastUpdate(file).time
                    let fresh = sorted.filter { $0.0 > last }
                    if fresh.count < sorted.count {
                        refused += sorted.count - fresh.count
                        rejections.note(Refusal(description: "\(file): \(sorted.count - fresh.count) round(s) not newer than the last update"))
                    }
                    guard !fresh.isEmpty else { continue }
                    try await client.update(file, template: layout.template, rows: fresh.map { "\($0.0):\($0.1)" })
                    try await Self.sync(file)
                    written += fresh.count
                }
            } catch {
                batch.acknowledge(.failed)
                throw error
            }
            context.counters.add(sent: written)
            if refused > 0 {
                context.counters.add(dropped: refused)
                batch.markRejected()
            }
            batch.acknowledge(.delivered)
        }
    }

    func layout(pings: Int) -> SmokePingLayout {
        SmokePingLayout(
            step: configuration.step, pings: pings,
            archives: configuration.archives == .debian ? SmokePingLayout.debianArchives : SmokePingLayout.upstreamArchives)
    }

    /// The file, its pings, and SmokePing's update value for one point.
    func updateRow(for point: Point) throws -> (String, Int, (Int, String)) {
        guard LatencySchema.Measurement.rounds.contains(point.measurement) else {
            throw Refusal(description: "measurement '\(point.measurement)' is not a probe round")
        }
        guard let seriesPath = point.tag(LatencySchema.Tag.path) ?? point.tag(LatencySchema.Tag.target), Self.isSafe(seriesPath) else {
            throw Refusal(description: "a point's path is missing or not a SmokePing name")
        }
        guard case .int(let count) = point.field(LatencySchema.Field.pings), count > 0, count <= LatencySchema.maxPings else {
            throw Refusal(description: "\(seriesPath): point has no '\(LatencySchema.Field.pings)' count")
        }
        let pings = Int(count)
        // The received times, wherever the round's layout put them; `updateValue` lays them out again.
        var times: [Double] = []
        for number in 1...pings {
            if case .float(let milliseconds) = point.field(LatencySchema.pingFieldName(number)) { times.append(milliseconds / 1000) }
        }
        let value = layout(pings: pings).updateValue(roundTripTimes: times)
        let seconds = Int(point.timestamp / 1_000_000_000)
        return (configuration.path + "/" + seriesPath + ".rrd", pings, (seconds, value))
    }

    /// `Section/Sub/target[~slave]`, each part SmokePing's `[-_0-9a-zA-Z]+`: no way out of the tree.
    static func isSafe(_ path: String) -> Bool {
        SmokePingName.isValidPath(path, allowingSlave: true)
    }

    static func sync(_ path: String) async throws {
        try await NIOThreadPool.singleton.runIfActive { try DurableFile.sync(path) }
    }

    /// Creates the file's folders off the cooperative pool; whether the file exists already.
    static func prepareDirectory(for file: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive {
            if access(file, F_OK) == 0 { return true }
            try DurableFile.makeDirectories(DurableFile.parent(of: file))
            return false
        }
    }
}
