import EventModel
import Nats
import PipelineRuntime
import SmokePingConfig
import SmokePingFiles
import Synchronization

/// `mode: backfill` with `work_queue:`: the files are work items on a JetStream work-queue
/// stream shared by every worker. A worker takes one item per free slot (`concurrency`), reads
/// that file as a lone backfill would, and acknowledges the item once every sink has
/// acknowledged every batch of the file; meanwhile it tells JetStream the item is in progress.
/// A worker that dies leaves its items to the others after `ack_wait`. It ends once the stream
/// holds no item, delivered or not.
extension RRDSource {
    func backfillFromQueue(_ queue: RRDWorkQueue, scan: Scan, context: StageContext, output: StageOutput) async throws {
        let files = Dictionary(scan.files.map { ($0.relativePath, $0) }) { first, _ in first }
        let connection = try await queue.server.connect(name: "smokeflow \(context.id)")
        queueSession.opened(connection)
        let name = "work queue \(queue.stream) on \(queue.server.displayName)"
        try await untilNatsAnswers(name, logger: context.logger) { try await connection.ensureStream(queue.streamSettings) }
        for file in scan.files {
            try await untilNatsAnswers(name, logger: context.logger) {
                _ = try await connection.publish(subject: queue.subject, payload: Array(file.relativePath.utf8), messageID: "\(queue.run).\(file.relativePath)")
            }
        }
        var settings = NatsPullSubscription.Settings(stream: queue.stream, subject: queue.subject, durable: queue.durable)
        settings.ackWait = queue.ackWait
        settings.maxAckPending = 100_000
        let subscription = try await untilNatsAnswers(name, logger: context.logger) { try await NatsPullSubscription.subscribe(connection, settings) }
        context.logger.info("\(name): \(scan.files.count) files in this worker's tree published as items (those published before are dropped as duplicates)")

        let progress = BackfillProgress(totalFiles: scan.files.count, logger: context.logger)
        let reporter = Task { await progress.report() }
        defer { reporter.cancel() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<configuration.concurrency {
                group.addTask {
                    try await takeItems(queue, files: files, index: scan.index, connection: connection, subscription: subscription, progress: progress, context: context, output: output)
                }
            }
            try await group.waitForAll()
        }
        reporter.cancel()
        await reporter.value
        context.logger.info("\(name): no item left; this worker read \(progress.filesDone.load(ordering: .relaxed)) of the \(scan.files.count) files, \(progress.points.load(ordering: .relaxed)) points")
        let failed = progress.failures.withLock { $0 }
        if !failed.isEmpty { throw FailedFiles(failures: failed) }
    }

    /// One slot: an item at a time until the stream is empty.
    private func takeItems(
        _ queue: RRDWorkQueue, files: [String: SmokePingFile], index: SmokePingTargetIndex?, connection: NatsConnection,
        subscription: NatsPullSubscription, progress: BackfillProgress, context: StageContext, output: StageOutput
    ) async throws {
        // The fetch failure logged for the outage in progress: one warning per outage.
        var failing: String?
        while true {
            try Task.checkCancellation()
            let item: NatsMessage
            do {
                guard let fetched = try await subscription.fetch(batch: 1, timeout: .seconds(1)).first else {
                    if try await connection.streamState(queue.stream).messages == 0 { return }
                    continue
                }
                item = fetched
            } catch let error as NatsError {
                if failing != error.description {
                    context.logger.warning("work queue \(queue.stream): \(error); trying again every second")
                    failing = error.description
                }
                try await Task.sleep(for: .seconds(1))
                continue
            }
            failing = nil
            let path = String(decoding: item.payload, as: UTF8.self)
            guard let file = files[path] else {
                // Another worker's tree may have it: back to the queue, and this run fails.
                context.logger.error("work item '\(path)' is not a file of this worker's tree; left to the other workers")
                progress.failures.withLock { $0.append((path, "not in this worker's tree")) }
                queueSession.settle { try await item.nak(delay: .seconds(5)) }
                continue
            }
            await read(file, item: item, queue: queue, index: index, progress: progress, context: context, output: output)
        }
    }

    /// Reads one file; its item is acknowledged when all its batches are, sent back when one
    /// failed, terminated when the file cannot be read (no worker would do better).
    private func read(
        _ file: SmokePingFile, item: NatsMessage, queue: RRDWorkQueue, index: SmokePingTargetIndex?, progress: BackfillProgress,
        context: StageContext, output: StageOutput
    ) async {
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: queue.ackWait / 3)
                try? await item.inProgress()
            }
        }
        let unreadable = UnreadableFlag()
        let fileDone = Acknowledgement { [queueSession, logger = context.logger] status in
            heartbeat.cancel()
            queueSession.settle {
                do {
                    if unreadable.isSet { try await item.terminate() } else if status == .failed { try await item.nak(delay: .seconds(1)) } else { try await item.ack() }
                } catch {
                    logger.warning("work item \(file.relativePath): \(error); JetStream delivers it again after ack_wait")
                }
            }
        }
        do {
            let position = checkpoints.position(file.relativePath)
            let commits = OrderedCommits<Int> { [checkpoints] in checkpoints.commit(file.relativePath, $0) }
            _ = try await emit(file, after: position, index: index, commits: commits, context: context, output: output, progress: progress, alsoAcknowledging: fileDone)
            progress.filesDone.add(1, ordering: .relaxed)
            fileDone.release(.delivered)
        } catch is CancellationError {
            // Stopping: the item goes back at once.
            fileDone.release(.failed)
        } catch {
            unreadable.set()
            progress.failures.withLock { $0.append((file.absolutePath, "\(error)")) }
            context.logger.error("\(file.absolutePath): \(error)")
            fileDone.release(.rejected)
        }
    }

    /// Whether the worker cannot read the file: its item is then terminated.
    private final class UnreadableFlag: Sendable {
        private let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .relaxed) }
        func set() { value.store(true, ordering: .relaxed) }
    }
}
