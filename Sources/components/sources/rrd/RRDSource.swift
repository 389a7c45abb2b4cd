import Foundation
import SmokePingConfig
import SmokePingFiles
import Logging
import NIOPosix
import LibRRD
import EventModel
public import PipelineRuntime
import Synchronization

public struct RRDSource: Source {
    let configuration: RRDSourceConfiguration
    let checkpoints: CheckpointStore
    let metrics: RRDSourceMetrics
    let client = RRDClient()
    /// `work_queue:`: the connection, kept until the items' acknowledgements are out.
    let queueSession = NatsSourceSession()

    struct FailedFiles: PartialSourceFailure, CustomStringConvertible {
        let failures: [(file: String, message: String)]
        var failedItems: [(item: String, message: String)] { failures.map { ($0.file, $0.message) } }
        var description: String {
            "\(failures.count) file(s) failed: " + failures.map { "\($0.file): \($0.message)" }.joined(separator: "; ")
        }
    }

    public func run(context: StageContext, output: StageOutput) async throws {
        try await checkpoints.load()
        logResumption(context: context)
        switch configuration.mode {
        case .backfill: try await backfill(context: context, output: output)
        case .tail: try await tail(context: context, output: output)
        }
    }

    /// One line at start: whether the source resumes, and from how far back it reads again.
    func logResumption(context: StageContext) {
        let positions = checkpoints.positions
        guard let oldest = positions.values.min(), let newest = positions.values.max() else {
            context.logger.info("no saved positions in \(checkpoints.name): every file is read from \(configuration.mode == .tail && configuration.startFrom == .end ? "its last closed row" : "its first row")")
            return
        }
        let format = Date.ISO8601FormatStyle()
        let seconds = max(0, Int(Date().timeIntervalSince1970) - oldest)
        let age = seconds >= 172_800 ? "\(seconds / 86_400) d" : seconds >= 7_200 ? "\(seconds / 3_600) h" : "\(seconds / 60) min"
        context.logger.info(
            "resuming from saved positions of \(positions.count) file(s) in \(checkpoints.name): rows after them are read again (positions from \(Date(timeIntervalSince1970: TimeInterval(oldest)).formatted(format)) to \(Date(timeIntervalSince1970: TimeInterval(newest)).formatted(format)), the oldest \(age) ago)")
    }

    public func finish(context: StageContext) async {
        await checkpoints.flush()
        await queueSession.close()
    }

    /// The files of one scan, and what the SmokePing config (read again at each scan) says of them.
    struct Scan {
        var files: [SmokePingFile]
        var index: SmokePingTargetIndex?
    }

    /// Reads the config first (its `datadir` is the tree when `path` is not set). A config
    /// that fails at start stops the source; in a later poll of `tail` the last good one stays.
    func scan(previous: SmokePingTargetIndex? = nil, context: StageContext) async throws -> Scan {
        var index = previous
        if let file = configuration.smokepingConfig {
            do {
                index = SmokePingTargetIndex(try await NIOThreadPool.singleton.runIfActive { try SmokePingConfig.read(file: file) })
            } catch where previous != nil {
                context.logger.warning("\(file): \(error); keeping the configuration read before")
            }
        }
        let root = configuration.path.isEmpty ? index?.dataDirectory ?? "" : configuration.path
        guard !root.isEmpty else { throw LayoutError(description: "\(configuration.smokepingConfig ?? "smokeping_config") sets no datadir; set path") }
        let scanner = TreeScanner(root: root, include: configuration.include, exclude: configuration.exclude)
        return Scan(files: try await NIOThreadPool.singleton.runIfActive { try scanner.scan() }, index: index)
    }

    func backfill(context: StageContext, output: StageOutput) async throws {
        let scan = try await scan(context: context)
        if let queue = configuration.workQueue {
            return try await backfillFromQueue(queue, scan: scan, context: context, output: output)
        }
        let files = scan.files
        let progress = BackfillProgress(totalFiles: files.count, logger: context.logger)
        let reporter = Task { await progress.report() }
        defer { reporter.cancel() }
        try await forEachFile(files) { file in
            do {
                let position = checkpoints.position(file.relativePath)
                let commits = OrderedCommits<Int> { [checkpoints] in checkpoints.commit(file.relativePath, $0) }
                _ = try await emit(file, after: position, index: scan.index, commits: commits, context: context, output: output, progress: progress)
            } catch let error as CancellationError {
                throw error
            } catch {
                progress.failures.withLock { $0.append((file.absolutePath, "\(error)")) }
                context.logger.error("\(file.absolutePath): \(error)")
            }
            progress.filesDone.add(1, ordering: .relaxed)
        }
        reporter.cancel()
        await reporter.value
        context.logger.info("\(progress.summary())")
        let failed = progress.failures.withLock { $0 }
        if !failed.isEmpty { throw FailedFiles(failures: failed) }
    }

    func tail(context: StageContext, output: StageOutput) async throws {
        // Rows handed to the pipeline but maybe not yet acknowledged: the next poll starts after them.
        let sent = Mutex<[String: Int]>([:])
        // One commit order per file for the whole run: a later poll's acknowledgement must wait
        // for an earlier poll's batch (still retrying) rather than commit past it.
        let commits = Mutex<[String: OrderedCommits<Int>]>([:])
        var index: SmokePingTargetIndex?
        while true {
            let scan = try await scan(previous: index, context: context)
            index = scan.index
            try await forEachFile(scan.files) { file in
                do {
                    let order = commits.withLock { commits in
                        if let order = commits[file.relativePath], !order.isBlocked { return (order, false) }
                        let fresh = OrderedCommits<Int> { [checkpoints] in checkpoints.commit(file.relativePath, $0) }
                        let wasBlocked = commits[file.relativePath] != nil
                        commits[file.relativePath] = fresh
                        return (fresh, wasBlocked)
                    }
                    if order.1 {
                        // A batch failed: nothing after it can commit, so read again from the last commit.
                        sent.withLock { $0[file.relativePath] = nil }
                        let from = checkpoints.position(file.relativePath).map { "row \($0)" } ?? "its first row"
                        context.logger.warning("\(file.absolutePath): a batch failed to deliver; reading again from \(from)")
                    }
                    let after = sent.withLock { $0[file.relativePath] } ?? checkpoints.position(file.relativePath)
                    if after == nil, configuration.startFrom == .end {
                        // From the last closed row on: the next row is sent once it closes. The
                        // position is stored, so a restart does not skip what came meanwhile.
                        let info = try await client.info(file.absolutePath)
                        let position = info.lastUpdate / info.step * info.step
                        sent.withLock { $0[file.relativePath] = position }
                        checkpoints.commit(file.relativePath, position)
                        return
                    }
                    if let last = try await emit(file, after: after, index: scan.index, commits: order.0, context: context, output: output, progress: nil) {
                        sent.withLock { $0[file.relativePath] = last }
                    }
                } catch let error as CancellationError {
                    throw error
                } catch {
                    // A file being rewritten or removed: say so, try again next poll.
                    context.logger.warning("\(file.absolutePath): \(error)")
                }
            }
            if context.once { return }
            try await Task.sleep(for: configuration.pollInterval)
        }
    }

    /// Runs `body` for each file, `concurrency` at a time.
    func forEachFile(_ files: [SmokePingFile], _ body: @escaping @Sendable (SmokePingFile) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < files.count && next < configuration.concurrency {
                let file = files[next]
                group.addTask { try await body(file) }
                next += 1
            }
            while try await group.next() != nil {
                guard next < files.count else { continue }
                let file = files[next]
                group.addTask { try await body(file) }
                next += 1
            }
        }
    }

    /// Sends every row of `file` after the position `after` (and within since/until), oldest
    /// first, in batches whose acknowledgements commit the file's position in `commits`' order.
    /// Returns the last row sent.
    func emit(
        _ file: SmokePingFile, after: Int?, index: SmokePingTargetIndex?, commits: OrderedCommits<Int>, context: StageContext,
        output: StageOutput, progress: BackfillProgress?, alsoAcknowledging fileDone: Acknowledgement? = nil
    ) async throws -> Int? {
        let info = try await client.info(file.absolutePath)
        metrics.scanned(file.relativePath, newestRow: info.lastUpdate / info.step * info.step)
        let names = info.dataSources.map(\.name)
        guard names.count >= 4, Array(names.prefix(3)) == ["uptime", "loss", "median"], names.dropFirst(3).allSatisfy({ $0.hasPrefix("ping") })
        else { throw LayoutError(description: "not SmokePing's layout (data sources: \(names.joined(separator: ", ")))") }
        var firsts: [Int: Int] = [:]
        for archive in info.archives { firsts[archive.index] = try await client.first(file.absolutePath, archive: archive.index) }
        let plan = ArchivePlan(info: info, firstRows: firsts, since: configuration.since, resumeAfter: after, until: configuration.until)
        let described = configuration.probeTypeAndTags(of: file, in: index)
        let mapper = RowMapper(file: file, probeType: described.probeType, pings: names.count - 3, extraTags: described.tags)
        var batch: [Point] = []
        batch.reserveCapacity(configuration.batchSize)
        var lastSent: Int?

        for segment in plan.segments {
            var fetches: [(String, RRDFetch)] = []
            for function in segment.consolidations {
                let fetched = try await client.fetch(
                    file.absolutePath, consolidation: function, start: segment.start, end: segment.end, resolution: segment.resolution)
                guard fetched.step == segment.resolution else {
                    throw LayoutError(description: "no \(function) archive at \(segment.resolution) s for the requested period")
                }
                fetches.append((function == "AVERAGE" ? "" : "_" + function.lowercased(), fetched))
            }
            guard let average = fetches.first?.1 else { continue }
            let columns = RowMapper.Columns(average.dataSources)
            let width = average.dataSources.count
            for row in 0..<average.rowCount {
                let time = average.timestamp(ofRow: row)
                guard time > segment.start && time <= segment.end else { continue }
                let rows = fetches.compactMap { suffix, fetched -> (suffix: String, values: ArraySlice<Double>)? in
                    let index = (time - fetched.start) / fetched.step - 1
                    guard index >= 0 && index < fetched.rowCount else { return nil }
                    return (suffix, fetched.values[(index * width)..<((index + 1) * width)])
                }
                if let point = mapper.point(time: time, resolution: segment.resolution, consolidated: segment.isConsolidated, columns: columns, rows: rows) {
                    batch.append(point)
                }
                lastSent = time
                if batch.count >= configuration.batchSize {
                    try await send(&batch, position: time, commits: commits, output: output, progress: progress, alsoAcknowledging: fileDone)
                }
            }
        }
        if let lastSent { try await send(&batch, position: lastSent, commits: commits, output: output, progress: progress, alsoAcknowledging: fileDone) }
        return lastSent
    }

    /// Also sends an empty batch: its acknowledgement still moves the position past rows
    /// that had no known value. `fileDone`, when given, is held by the batch too.
    private func send(
        _ batch: inout [Point], position: Int, commits: OrderedCommits<Int>, output: StageOutput, progress: BackfillProgress?,
        alsoAcknowledging fileDone: Acknowledgement?
    ) async throws {
        let points = batch
        batch.removeAll(keepingCapacity: true)
        progress?.points.add(points.count, ordering: .relaxed)
        let acknowledgement = commits.acknowledgement(for: position)
        if points.isEmpty {
            acknowledgement.release(.delivered)
            return
        }
        fileDone?.retain()
        try await output.send(Batch(points: points, acknowledgements: [acknowledgement] + (fileDone.map { [$0] } ?? [])))
    }

    struct LayoutError: Error, CustomStringConvertible {
        let description: String
    }
}
