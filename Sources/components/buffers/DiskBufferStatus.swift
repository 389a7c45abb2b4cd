import DiskBuffer
import EventModel
import Foundation
import Logging
import NIOPosix
import PipelineConfig
import PipelineRuntime
import Synchronization

/// A disk buffer's counters, its log lines and its housekeeping: one line when something
/// changes (full, space again, a corrupt record, a torn tail), a status line a minute while it
/// holds anything, and the acknowledged position saved beside the segments.
final class DiskBufferStatus: Sendable {
    struct Counters {
        var writtenRecords = 0
        var droppedPoints = 0
        var corruptRecords = 0
        var tornBytes: Int64 = 0
        var fullSince: ContinuousClock.Instant?
        var acknowledgedChanged = false
        var savingFails = false
        var lastReport: SegmentLog.Usage?
    }

    let directory: String
    let maxSize: Int64
    let logger: Logger
    private let counters = Mutex(Counters())
    private var acknowledgedPath: String { directory + "/acknowledged" }

    init(directory: String, maxSize: Int64, logger: Logger) {
        self.directory = directory
        self.maxSize = maxSize
        self.logger = logger
    }

    // MARK: The acknowledged position

    /// The position saved by the last run; nil (replay everything) when there is none or it
    /// cannot be read, which resends but never loses. Blocks.
    func loadAcknowledged() -> RecordPosition? {
        guard let data = FileManager.default.contents(atPath: acknowledgedPath) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard parts.count == 2, let segment = UInt64(parts[0]), let offset = Int64(parts[1]), offset >= 0 else {
            logger.warning("disk buffer: \(acknowledgedPath) is not a position; replaying every segment (the sink may get points again)")
            return nil
        }
        return RecordPosition(segment: segment, offset: offset)
    }

    /// Deletes acknowledged segments and saves the position. Blocks.
    private func saveAcknowledged(_ log: SegmentLog) {
        log.removeAcknowledgedSegments()
        let position = log.acknowledged
        do {
            try DurableFile.replace(acknowledgedPath, with: Array("\(position.segment) \(position.offset)\n".utf8), mode: 0o600)
            counters.withLock { $0.savingFails = false }
        } catch {
            // Once per episode (a full disk fails every save until space returns).
            let first = counters.withLock { state in
                defer { state.savingFails = true }
                return !state.savingFails
            }
            if first { logger.warning("disk buffer: cannot save the acknowledged position (\(error)); a restart resends more until it can") }
        }
    }

    func acknowledged() {
        counters.withLock { $0.acknowledgedChanged = true }
    }

    /// Runs until cancelled: once a second, deletes what the sink acknowledged and saves the
    /// position; once a minute, a status line while the buffer holds anything.
    func keepHouse(_ log: SegmentLog) async {
        var sinceReport = 0
        while !Task.isCancelled {
            do { try await Task.sleep(for: .seconds(1)) } catch { return }
            let changed = counters.withLock { state in
                defer { state.acknowledgedChanged = false }
                return state.acknowledgedChanged
            }
            if changed { _ = try? await NIOThreadPool.singleton.runIfActive { [self] in saveAcknowledged(log) } }
            sinceReport += 1
            if sinceReport >= 60 {
                sinceReport = 0
                reportUsage(log.usage, ending: false)
            }
        }
    }

    func finish(_ log: SegmentLog) async {
        _ = try? await NIOThreadPool.singleton.runIfActive { [self] in
            do { try log.closeWriter() } catch { logger.warning("disk buffer: \(error)") }
            saveAcknowledged(log)
        }
        reportUsage(log.usage, ending: true)
    }

    private func reportUsage(_ usage: SegmentLog.Usage, ending: Bool) {
        let report = counters.withLock { state -> SinkBufferCounters? in
            if !ending, usage.records == 0, state.lastReport?.records ?? 0 == 0 { return nil }
            state.lastReport = usage
            return Self.counters(usage, droppedPoints: state.droppedPoints)
        }
        guard let report else { return }
        if ending && report.records == 0 && report.droppedPoints == 0 { return }
        let waiting = report.records == 0 ? "empty" : "\(describe(report)) \(ending ? "kept for the next run" : "waiting for the sink")"
        logger.info("disk buffer: \(waiting); \(report.droppedPoints) points dropped")
    }

    /// The buffer's counters, in the shape a memory buffer's have.
    static func counters(_ usage: SegmentLog.Usage, droppedPoints: Int) -> SinkBufferCounters {
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        return SinkBufferCounters(
            points: usage.points, records: usage.records, bytes: usage.bytes,
            oldestAge: usage.oldestWrittenAt.map { .nanoseconds(max(0, now - $0)) }, droppedPoints: droppedPoints)
    }

    private func describe(_ counters: SinkBufferCounters) -> String {
        counters.describeDepth(unit: "records", bytesNote: "of \(OptionsReader.formatByteSize(maxSize)) on disk", oldest: "written")
    }

    // MARK: Events

    func reportRecovery(_ recovery: SegmentLog.Recovery) {
        if recovery.tornBytes > 0 {
            counters.withLock { $0.tornBytes += recovery.tornBytes }
            logger.warning("disk buffer: cut a torn last record (\(recovery.tornBytes) bytes, a crash during a write) off \(directory); the records before it are kept")
        }
        if recovery.usage.records > 0 {
            logger.info("disk buffer: replaying \(describe(Self.counters(recovery.usage, droppedPoints: 0))) that the sink had not acknowledged")
        }
    }

    func noteWritten() {
        let ended = counters.withLock { state -> Duration? in
            state.writtenRecords += 1
            defer { state.fullSince = nil }
            return state.fullSince.map { .now - $0 }
        }
        if let ended { logger.notice("disk buffer: writing again after being full for \(ended)") }
    }

    /// Once per episode of being full.
    func noteFull(because reason: String, dropping: Bool) {
        let first = counters.withLock { state -> Bool in
            guard state.fullSince == nil else { return false }
            state.fullSince = .now
            return true
        }
        guard first else { return }
        let action = dropping ? "dropping the newest points for this sink (when_full: drop_newest)" : "holding the input until the sink frees space (when_full: block)"
        logger.warning("disk buffer full: \(reason); \(action)")
    }

    /// The buffer's counters now, and how full it is (bytes of `max_size`).
    func current(_ log: SegmentLog) -> (counters: SinkBufferCounters, usage: Double) {
        let usage = log.usage
        let dropped = counters.withLock { $0.droppedPoints }
        let full = counters.withLock { $0.fullSince != nil }
        return (Self.counters(usage, droppedPoints: dropped), full ? 1 : min(1, Double(usage.bytes) / Double(max(1, maxSize))))
    }

    func noteDropped(_ points: Int) {
        counters.withLock { $0.droppedPoints += points }
    }

    func noteCorrupt(at start: RecordPosition, skippingTo end: RecordPosition, reason: String) {
        counters.withLock { $0.corruptRecords += 1 }
        let skipped = start.segment == end.segment ? "\(end.offset - start.offset) bytes" : "to \(end)"
        logger.error("disk buffer: corrupt record at \(start) in \(directory) (\(reason)); skipped \(skipped), the rest of the buffer is kept")
    }
}
