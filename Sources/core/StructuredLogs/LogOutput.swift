public import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where every handler of a process writes: one format, one clock, one rate limiter, one
/// writer. Lines are rendered and written under one lock, so they never interleave and a
/// summary comes before the line that starts its event's next minute. The write is a plain
/// `write(2)` on the logging thread, as swift-log's `StreamLogHandler` does.
public final class LogOutput: Sendable {
    public let format: LogFormat
    let limiter: Mutex<RepeatLimiter>
    let clock: @Sendable () -> Int64
    let writeLine: @Sendable (String) -> Void

    /// - Parameters:
    ///   - burst: lines of one event (`RepeatKey`) written per minute before the rest are counted.
    ///   - clock: nanoseconds since 1970 (tests pass their own).
    ///   - write: takes each rendered line, newline included (default: standard error).
    public init(
        format: LogFormat, burst: Int = 10, clock: @escaping @Sendable () -> Int64 = LogOutput.wallClock,
        write: @escaping @Sendable (String) -> Void = LogOutput.writeToStandardError
    ) {
        self.format = format
        self.limiter = Mutex(RepeatLimiter(burst: burst))
        self.clock = clock
        self.writeLine = write
    }

    /// A handler for `label`: its lines carry `component_id` from their metadata, else `label`.
    public func handler(label: String, level: Logger.Level) -> StructuredLogHandler {
        StructuredLogHandler(output: self, label: label, logLevel: level)
    }

    func emit(_ event: LogEvent, componentID: String, metadata: Logger.Metadata) {
        let now = clock()
        let key = RepeatKey(level: event.level, file: event.file, line: event.line, componentID: componentID)
        limiter.withLock { limiter in
            writeSummaries(limiter.expire(now: now), at: now)
            guard limiter.admit(key, message: event.message.description, now: now) else { return }
            writeLine(LogLine(time: now, level: event.level, componentID: componentID, message: event.message.description, metadata: metadata)
                .rendered(format))
        }
    }

    /// Writes the summaries of the minutes that have ended; a quiet process's are written by
    /// `sweepEverySecond`.
    public func sweep() {
        let now = clock()
        limiter.withLock { writeSummaries($0.expire(now: now), at: now) }
    }

    /// Writes every pending summary (at exit).
    public func flush() {
        let now = clock()
        limiter.withLock { writeSummaries($0.drain(), at: now) }
    }

    private func writeSummaries(_ summaries: [RepeatLimiter.Summary], at now: Int64) {
        for summary in summaries {
            let line = LogLine(
                time: now, level: summary.key.level, componentID: summary.key.componentID, message: summary.message,
                metadata: [LogKey.repeatedMessage: .string(summary.lastMessage)])
            writeLine(line.rendered(format))
        }
    }

    public static let wallClock: @Sendable () -> Int64 = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    public static let writeToStandardError: @Sendable (String) -> Void = { line in
        var line = line
        line.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(2, base + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
