import DiskBuffer
import EventModel
import Logging
import NIOPosix
import PipelineRuntime
import Synchronization

/// The disk buffer's output side: the log, in order, into the sink.
final class DiskBufferReader: Sendable {
    let log: SegmentLog
    let status: DiskBufferStatus
    let context: StageContext
    let newRecords: Doorbell
    let output: BoundedChannel
    private let ending = Mutex<(stopRequested: Bool, inputWritten: Bool)>((false, false))

    init(log: SegmentLog, status: DiskBufferStatus, context: StageContext, newRecords: Doorbell, output: BoundedChannel) {
        self.log = log
        self.status = status
        self.context = context
        self.newRecords = newRecords
        self.output = output
    }

    /// A shutdown: once the input is written, replay no more; the rest waits on disk.
    func stopAfterInput() {
        update { $0.stopRequested = true }
    }

    /// The writer is done (its input ended, or it failed).
    func inputWritten() {
        update { $0.inputWritten = true }
    }

    /// Both: the sink is given nothing more, and a send waiting for it returns at once.
    private func update(_ change: (inout (stopRequested: Bool, inputWritten: Bool)) -> Void) {
        let stop = ending.withLock { state -> Bool in
            change(&state)
            return state.stopRequested && state.inputWritten
        }
        if stop { output.close() }
        newRecords.ring()
    }

    private var shouldStop: Bool { ending.withLock { $0.stopRequested && $0.inputWritten } }
    private var isInputWritten: Bool { ending.withLock { $0.inputWritten } }

    func run() async throws {
        let codec = try RecordCodec()
        var position = log.acknowledged
        var commits = makeCommits()
        var pause = Duration.seconds(1)
        defer { output.producerFinished() }
        while !Task.isCancelled {
            // The sink ends after what it holds; what it was not given stays on disk.
            if shouldStop { return }
            if commits.isBlocked {
                // The sink failed a record for good (it gave up, or it was stopping): read
                // again from the last acknowledged one, after a pause that grows.
                context.logger.warning("disk buffer: the sink failed a buffered batch; replaying from \(log.acknowledged) in \(pause)")
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(30))
                position = log.acknowledged
                commits = makeCommits()
                continue
            }
            let outcome = try await NIOThreadPool.singleton.runIfActive { [log, position] in try log.read(at: position) }
            switch outcome {
            case .record(let record):
                let points: [Point]
                do {
                    points = try codec.decode(record)
                } catch {
                    status.noteCorrupt(at: record.start, skippingTo: record.end, reason: "its payload does not decode (\(error))")
                    commits.acknowledgement(for: record.end).release(.rejected)
                    position = record.end
                    continue
                }
                let sent = try await output.send(Batch(points: points, acknowledgements: [commits.acknowledgement(for: record.end)]))
                if !sent { return }
                position = record.end
                pause = .seconds(1)
            case .corrupt(let from, let resumeAt, let reason):
                status.noteCorrupt(at: from, skippingTo: resumeAt, reason: reason)
                commits.acknowledgement(for: resumeAt).release(.rejected)
                position = resumeAt
            case .caughtUp:
                if isInputWritten {
                    // Everything written was read; a last look catches a record written
                    // between the read and the writer's end.
                    if case .caughtUp = try await NIOThreadPool.singleton.runIfActive({ [log, position] in try log.read(at: position) }) {
                        return
                    }
                    continue
                }
                await newRecords.wait()
            }
        }
    }

    private func makeCommits() -> OrderedCommits<RecordPosition> {
        OrderedCommits { [log, status] position in
            log.acknowledge(through: position)
            status.acknowledged()
        }
    }
}
