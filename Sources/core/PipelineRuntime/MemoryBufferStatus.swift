import Logging
import Synchronization

/// A sink's memory buffer (its input channel) in the log, as a disk buffer logs itself
/// (`DiskBufferStatus` in the components): a status line a minute while it holds anything or
/// has dropped points since the last one, one "empty" line once it has drained, and a line at
/// the end of the run if points were left or dropped.
final class MemoryBufferStatus: Sendable {
    let channel: BoundedChannel
    let logger: Logger
    private let lastReport = Mutex<SinkBufferCounters?>(nil)

    init(channel: BoundedChannel, logger: Logger) {
        self.channel = channel
        self.logger = logger
    }

    /// Runs until cancelled.
    func keepReporting(every interval: Duration = .seconds(60)) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            report(ending: false)
        }
    }

    /// Logs the counters if there is news: something waits, it has just drained, or points were
    /// dropped since the last line; at the end, if anything was left or dropped.
    func report(ending: Bool) {
        let counters = channel.usage
        let news = lastReport.withLock { last -> Bool in
            let previous = last ?? SinkBufferCounters()
            let news = ending
                ? counters.records > 0 || counters.droppedPoints > 0
                : counters.records > 0 || previous.records > 0 || counters.droppedPoints > previous.droppedPoints
            if news { last = counters }
            return news
        }
        guard news else { return }
        let state: String
        if counters.records == 0 {
            state = "empty"
        } else {
            let depth = counters.describeDepth(
                unit: "batches", bytesNote: "of line protocol, estimated; at most \(channel.capacity) batches", oldest: "received")
            // What a sink did not take is acknowledged failed when it ends: a source with positions
            // sends it again.
            state = "\(depth) \(ending ? "not delivered (failed upstream)" : "waiting for the sink")"
        }
        logger.info("memory buffer: \(state); \(counters.droppedPoints) points dropped")
    }
}
