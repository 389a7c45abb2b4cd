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
    /// Makes the entry of `path` durable: fsyncs the directory holding it (a test's own records
    /// the calls).
    var syncEntry: @Sendable (_ path: String) throws -> Void = { try DurableFile.syncDirectory(of: $0) }

    struct Refusal: Error, CustomStringConvertible {
        let description: String
    }

    public func run(context: StageContext, input: StageInput) async throws {
        var rejections = RejectionLog(logger: context.logger)
        // The pings each file was created with: its data sources fix how many a round may have.
        var known: [String: Int] = [:]
        for await batch in input {
            context.counters.add(received: batch.points.count)
            var rows: [String: [Row]] = [:]
            var refused = 0
            for point in batch.points {
                do {
                    let row = try updateRow(for: point)
                    rows[row.file, default: []].append(row)
                } catch {
                    refused += 1
                    rejections.note(error)
                }
            }
            var written = 0
            do {
                for (file, entries) in rows.sorted(by: { $0.key < $1.key }) {
                    let sorted = entries.sorted { $0.seconds < $1.seconds }
                    if known[file] == nil {
                        if let created = try await Self.prepareDirectory(for: file) {
                            let layout = layout(pings: sorted[0].pings)
                            try await client.create(
                                file, step: layout.step, start: sorted[0].seconds - 1, sources: layout.dataSourceDefinitions,
                                archives: layout.archiveDefinitions)
                            // Acknowledged once fsynced, so its entry and those of the folders made
                            // for it must survive a power loss too (review C12).
                            try await syncEntries(created + [file])
                            known[file] = sorted[0].pings
                        } else {
                            known[file] = try await client.info(file).dataSources.count - 3
                        }
                    }
                    let pings = known[file] ?? sorted[0].pings
                    // Rows librrd would refuse, failing the whole call and, after every restart, the
                    // same batch again: not newer than the last update, a second round in one
                    // second, or another ping count than the file has data sources for.
                    let last = try await client.lastUpdate(file).time
                    var fresh: [Row] = []
                    var stale = 0, sameSecond = 0, otherCount = 0
                    for row in sorted {
                        if row.pings != pings {
                            otherCount += 1
                        } else if row.seconds <= last {
                            stale += 1
                        } else if row.seconds == fresh.last?.seconds {
                            sameSecond += 1
                        } else {
                            fresh.append(row)
                        }
                    }
                    for (count, reason) in [
                        (stale, "not newer than the last update"), (sameSecond, "in the same second as the round before"),
                        (otherCount, "with another ping count than the file's \(pings) (SmokePing's `pings` changed: move the file away to start one with the new count)"),
                    ] where count > 0 {
                        refused += count
                        rejections.note(Refusal(description: "\(file): \(count) round(s) \(reason)"))
                    }
                    guard !fresh.isEmpty else { continue }
                    let layout = layout(pings: pings)
                    try await client.update(file, template: layout.template, rows: fresh.map { "\($0.seconds):\($0.value)" })
                    try await Self.sync(file)
                    written += fresh.count
                }
            } catch {
                batch.acknowledge(.failed)
                throw error
            }
            context.counters.add(sent: written)
            if refused > 0 {
                context.counters.add(dropped: refused, reason: .rejected)
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

    /// One round as an update of its file.
    struct Row {
        var file: String
        var pings: Int
        var seconds: Int
        /// SmokePing's update value (`uptime:loss:median:ping1:…`) without the time.
        var value: String
    }

    /// The file, its pings, and SmokePing's update value for one point.
    func updateRow(for point: Point) throws -> Row {
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
        return Row(file: configuration.path + "/" + seriesPath + ".rrd", pings: pings, seconds: seconds, value: value)
    }

    /// `Section/Sub/target[~slave]`, each part SmokePing's `[-_0-9a-zA-Z]+`: no way out of the tree.
    static func isSafe(_ path: String) -> Bool {
        SmokePingName.isValidPath(path, allowingSlave: true)
    }

    static func sync(_ path: String) async throws {
        try await NIOThreadPool.singleton.runIfActive { try DurableFile.sync(path) }
    }

    /// New entries made durable, as a file's data is by `sync`.
    func syncEntries(_ paths: [String]) async throws {
        try await NIOThreadPool.singleton.runIfActive { [syncEntry] in
            for path in paths { try syncEntry(path) }
        }
    }

    /// Creates the file's folders off the cooperative pool; nil if the file exists already,
    /// else the folders created for it.
    static func prepareDirectory(for file: String) async throws -> [String]? {
        try await NIOThreadPool.singleton.runIfActive {
            if access(file, F_OK) == 0 { return nil }
            return try DurableFile.makeDirectories(DurableFile.parent(of: file))
        }
    }
}
