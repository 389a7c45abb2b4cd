import DiskBuffer
import EventModel
import Foundation
import Logging
import NIOPosix
import PipelineConfig
import PipelineRuntime

/// The disk buffer's input side: batches → records → fsync → acknowledged upstream.
struct DiskBufferWriter: Sendable {
    let log: SegmentLog
    let settings: SinkBuffer
    let status: DiskBufferStatus
    let context: StageContext
    let newRecords: Doorbell

    /// A record holds at most this much line protocol: a few thousand points, one zstd frame.
    var recordLimit: Int { Int(min(1 << 20, settings.maxSize / 8)) }

    /// Upstream acknowledgements waiting for their points to be durable, and the status each
    /// gets then (`rejected` when some of its points could not be written at all).
    final class Waiting: @unchecked Sendable {
        var staged: [(Batch, DeliveryStatus)] = []
        var written: [(Batch, DeliveryStatus)] = []
        /// When the oldest batch not yet durable arrived: the fsync deadline runs from there.
        var since: ContinuousClock.Instant?

        /// The written batches are durable now.
        func releaseWritten() {
            for (batch, status) in written { batch.acknowledge(status) }
            written = []
            if staged.isEmpty { since = nil }
        }

        /// Everything still held, with one status (`failed`: not durable, send again).
        func releaseAll(_ status: DeliveryStatus) {
            for (batch, _) in written + staged { batch.acknowledge(status) }
            staged = []
            written = []
            since = nil
        }

        func markStagedWritten() {
            written += staged
            staged = []
        }
    }

    func run(input: StageInput) async throws {
        let codec = try RecordCodec(level: 1)
        let waiting = Waiting()
        do {
            while true {
                let deadline = waiting.since.map { $0 + settings.fsyncInterval }
                switch await input.next(before: deadline) {
                case .batch(let batch):
                    let unwritable = codec.stage(batch.points)
                    if unwritable > 0 { context.counters.add(dropped: unwritable, reason: .rejected) }
                    waiting.staged.append((batch.receipt, unwritable > 0 ? .rejected : .delivered))
                    if waiting.since == nil { waiting.since = .now }
                    if codec.stagedBytes >= recordLimit { try await writeRecord(codec, waiting) }
                case .timeout:
                    try await writeRecord(codec, waiting)
                    try await sync(waiting)
                case .end:
                    try await writeRecord(codec, waiting)
                    try await sync(waiting)
                    context.logger.info("disk buffer: the input ended; every batch of it is on disk")
                    return
                }
            }
        } catch {
            // Not durable: the sources keep their positions and send these again.
            waiting.releaseAll(.failed)
            throw error
        }
    }

    /// Appends what is staged as one record; while the buffer is full, waits for space
    /// (`block`) or drops the record for this sink (`drop_newest`).
    private func writeRecord(_ codec: RecordCodec, _ waiting: Waiting) async throws {
        guard codec.stagedPoints > 0 else {
            waiting.markStagedWritten()
            return
        }
        let record = try codec.seal()
        let writtenAt = Int64(Date().timeIntervalSince1970 * 1e9)
        while true {
            let outcome: SegmentLog.AppendOutcome
            do {
                outcome = try await NIOThreadPool.singleton.runIfActive { [log] in
                    try log.append(
                        payload: record.payload, pointCount: record.pointCount, uncompressedLength: record.uncompressedLength,
                        writtenAt: writtenAt)
                }
            } catch let error as IOError where error.isOutOfSpace {
                status.noteFull(because: "\(error)", dropping: settings.whenFull == .dropNewest)
                if try await dropOrWait(record, waiting) { return }
                continue
            }
            switch outcome {
            case .written:
                status.noteWritten()
                waiting.markStagedWritten()
                newRecords.ring()
                return
            case .full:
                status.noteFull(because: "it holds max_size (\(OptionsReader.formatByteSize(settings.maxSize)))", dropping: settings.whenFull == .dropNewest)
                if try await dropOrWait(record, waiting) { return }
            }
        }
    }

    /// True when the record was dropped; otherwise waits a moment for the sink to free space.
    private func dropOrWait(_ record: RecordCodec.Encoded, _ waiting: Waiting) async throws -> Bool {
        if settings.whenFull == .dropNewest {
            context.counters.add(dropped: record.pointCount, reason: .bufferFull)
            status.noteDropped(record.pointCount)
            for (batch, _) in waiting.staged { batch.acknowledge(.rejected) }
            waiting.staged = []
            if waiting.written.isEmpty { waiting.since = nil }
            return true
        }
        // What is already written need not wait for the space: make it durable now.
        try await sync(waiting)
        // Space comes back when the sink acknowledges a whole segment (this one's too).
        _ = try await NIOThreadPool.singleton.runIfActive { [log] in
            try log.releaseWriterSegmentIfAcknowledged()
            return log.removeAcknowledgedSegments()
        }
        try await Task.sleep(for: .milliseconds(100))
        return false
    }

    /// fsync, then the batches written so far are acknowledged upstream.
    private func sync(_ waiting: Waiting) async throws {
        guard !waiting.written.isEmpty else { return }
        try await NIOThreadPool.singleton.runIfActive { [log] in try log.sync() }
        waiting.releaseWritten()
    }
}
