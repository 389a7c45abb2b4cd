import DiskBuffer
import EventModel
import Logging
import NIOPosix
import PipelineRuntime
import ServiceLifecycle

/// `buffer: { type: disk }`: a sink behind a disk buffer, as in Vector.
///
/// Three tasks around the sink itself:
/// - the **writer** stages the input's batches into records, appends them to the segment log
///   and, after an fsync (at most `fsync_interval` after the first unsynced batch), acknowledges
///   them upstream: the source may move its positions once a batch is on disk;
/// - the **reader** replays the log in order into the sink, each record one batch whose
///   acknowledgement (through `OrderedCommits`) marks the log done up to it; a record the sink
///   fails is read again from the last acknowledged one after a pause;
/// - the **housekeeper** deletes acknowledged segments, saves the acknowledged position
///   (`acknowledged` beside the segments, so a restart resends little) and logs the counters.
///
/// A finite run drains the buffer into the sink before it ends. A shutdown (a signal, the
/// group's end) stops replaying once the input is written: what the sink has not acknowledged
/// stays on disk and is replayed by the next run, even after `kill -9`.
struct DiskBufferedSink: Sink {
    let inner: any Sink
    let settings: SinkBuffer
    let directory: String

    static func wrap(_ settings: SinkBuffer, _ context: BuildContext, _ sink: any Sink) throws -> any Sink {
        guard let state = context.stateDirectory else {
            throw DiskBufferError("buffer type 'disk' of '\(context.id)' needs state_dir: its segments are kept there")
        }
        return DiskBufferedSink(inner: sink, settings: settings, directory: state + "/buffers/" + context.id)
    }

    func run(context: StageContext, input: StageInput) async throws {
        let status = DiskBufferStatus(directory: directory, maxSize: settings.maxSize, logger: context.logger)
        let (log, recovery) = try await NIOThreadPool.singleton.runIfActive { [status, directory, settings] in
            try DurableFile.makeDirectories(directory)
            let layout = SegmentLog.Layout(directory: directory, maxSize: settings.maxSize).fitted(toFreeSpaceOf: directory)
            return try SegmentLog.open(layout, acknowledged: status.loadAcknowledged())
        }
        status.reportRecovery(recovery)
        BufferMetrics.register(context.metrics, health: context.health, type: "disk", fullIsFault: true) { [status, log] in
            status.current(log)
        }
        let toSink = BoundedChannel(capacity: 2, producers: 1)
        let newRecords = Doorbell()
        let writer = DiskBufferWriter(log: log, settings: settings, status: status, context: context, newRecords: newRecords)
        let reader = DiskBufferReader(log: log, status: status, context: context, newRecords: newRecords, output: toSink)
        // However the run ends, the acknowledged position is saved, so a restart resends little.
        do {
            try await run(inner: inner, input: input, context: context, writer: writer, reader: reader, status: status, log: log)
        } catch {
            await status.finish(log)
            throw error
        }
        await status.finish(log)
    }

    private func run(
        inner: any Sink, input: StageInput, context: StageContext, writer: DiskBufferWriter, reader: DiskBufferReader,
        status: DiskBufferStatus, log: SegmentLog
    ) async throws {
        let toSink = reader.output
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { reader.inputWritten() }
                    try await writer.run(input: input)
                }
                group.addTask { try await reader.run() }
                group.addTask { try await inner.run(context: context, input: StageInput(toSink)) }
                group.addTask { await status.keepHouse(log) }
                do {
                    for _ in 0..<3 { try await group.next() }
                } catch {
                    group.cancelAll()
                    throw error
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            reader.stopAfterInput()
        }
    }
}

struct DiskBufferError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension ComponentRegistry {
    /// Registers `buffer: { type: disk }` for every sink.
    mutating func registerDiskBuffer() {
        registerSinkBuffer(.disk) { settings, context, sink in try DiskBufferedSink.wrap(settings, context, sink) }
    }
}
