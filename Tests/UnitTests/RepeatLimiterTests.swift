import Logging
import StructuredLogs
import Synchronization
import Testing

/// Repeated lines: the state machine with the clock passed in, then `LogOutput` through a
/// `Logger` with a clock and a writer of the test's own. No test sleeps.
@Suite struct RepeatLimiterTests {
    static let second: Int64 = 1_000_000_000
    let key = RepeatKey(level: .warning, file: "Components/OutageLog.swift", line: 32, componentID: "influx")

    @Test func aBurstPassesTheRestAreCountedAndOneSummaryEndsTheMinute() {
        var limiter = RepeatLimiter(burst: 3)
        let start = 1000 * Self.second
        let passed = (0..<1237).map { index in limiter.admit(key, message: "still failing \(index)", now: start + Int64(index) * 1_000_000) }
        #expect(passed.prefix(3).allSatisfy { $0 } && passed.dropFirst(3).allSatisfy { !$0 })
        let early = limiter.expire(now: start + 59 * Self.second)
        #expect(early.isEmpty, "the minute has not ended")
        let summaries = limiter.expire(now: start + 60 * Self.second)
        #expect(summaries.map { [$0.key == key ? "key" : "\($0.key)", "\($0.suppressed)", $0.lastMessage] } == [["key", "1234", "still failing 1236"]])
        #expect(summaries.first?.message == "… 1,234 more in the last minute")
        let later = limiter.expire(now: start + 120 * Self.second)
        #expect(later.isEmpty, "said once")
        let again = limiter.admit(key, message: "again", now: start + 61 * Self.second)
        #expect(again, "a new minute starts with the next line")
    }

    @Test func callSitesLevelsAndComponentsAreLimitedApart() {
        var limiter = RepeatLimiter(burst: 1)
        var otherLine = key
        otherLine.line = 37
        var otherComponent = key
        otherComponent.componentID = "influx_v2"
        var otherLevel = key
        otherLevel.level = .error
        for each in [key, otherLine, otherComponent, otherLevel] {
            let (first, second) = (limiter.admit(each, message: "m", now: 0), limiter.admit(each, message: "m", now: 1))
            #expect(first && !second)
        }
        let suppressed = limiter.expire(now: RepeatLimiter.window).map(\.suppressed)
        #expect(suppressed == [1, 1, 1, 1])
    }

    @Test func aMinuteWithoutSuppressionEndsWithoutASummaryAndDrainSaysWhatIsPending() {
        var limiter = RepeatLimiter(burst: 2)
        let (first, second) = (limiter.admit(key, message: "a", now: 0), limiter.admit(key, message: "b", now: 1))
        #expect(first && second)
        let ended = limiter.expire(now: RepeatLimiter.window)
        #expect(ended.isEmpty)
        for index in 0..<5 { _ = limiter.admit(key, message: "c\(index)", now: RepeatLimiter.window + Int64(index)) }
        let drained = limiter.drain()
        #expect(drained.map { [$0.key == key ? "key" : "\($0.key)", "\($0.suppressed)", $0.lastMessage] } == [["key", "3", "c4"]])
        let again = limiter.drain()
        #expect(again.isEmpty)
    }

    @Test func countsAreGroupedByThousands() {
        func message(_ count: Int) -> String {
            var limiter = RepeatLimiter(burst: 1)
            for _ in 0...count { _ = limiter.admit(key, message: "", now: 0) }
            return limiter.drain().first?.message ?? "no summary"
        }
        #expect(message(1) == "… 1 more in the last minute")
        #expect(message(999) == "… 999 more in the last minute")
        #expect(message(1000) == "… 1,000 more in the last minute")
        #expect(message(1_234_567) == "… 1,234,567 more in the last minute")
    }

    /// A `LogOutput` whose clock the test moves and whose lines it keeps.
    final class Recorder: Sendable {
        let now = Mutex<Int64>(1_796_225_865_000_000_000)
        let lines = Mutex<[String]>([])
        func output() -> LogOutput {
            LogOutput(format: .logfmt, burst: 2, clock: { self.now.withLock { $0 } }, write: { line in self.lines.withLock { $0.append(line) } })
        }
        func advance(_ nanoseconds: Int64) { now.withLock { $0 += nanoseconds } }
        func taken() -> [String] { lines.withLock { lines in defer { lines = [] }; return lines } }
    }

    @Test func aLoggerRepeatingOneLineWritesTheBurstThenTheSummaryBeforeTheNextMinutesFirstLine() {
        let recorder = Recorder()
        let output = recorder.output()
        var stage = Logger(label: "smokeflow") { output.handler(label: $0, level: .info) }
        stage[metadataKey: LogKey.componentID] = "influx"
        for attempt in 1...5 { stage.warning("InfluxDB at http://h:8086 still failing", metadata: ["attempt": "\(attempt)"]) }
        Logger(label: "smokeflow") { output.handler(label: $0, level: .info) }.info("not a stage's line")
        #expect(recorder.taken() == [
            "time=2026-12-02T15:37:45.000Z level=warning component_id=influx message=\"InfluxDB at http://h:8086 still failing\" attempt=1\n",
            "time=2026-12-02T15:37:45.000Z level=warning component_id=influx message=\"InfluxDB at http://h:8086 still failing\" attempt=2\n",
            "time=2026-12-02T15:37:45.000Z level=info component_id=smokeflow message=\"not a stage's line\"\n",
        ])
        recorder.advance(60 * Self.second)
        stage.warning("InfluxDB at http://h:8086 still failing")
        #expect(recorder.taken() == [
            "time=2026-12-02T15:38:45.000Z level=warning component_id=influx message=\"… 3 more in the last minute\" repeated_message=\"InfluxDB at http://h:8086 still failing\"\n",
            "time=2026-12-02T15:38:45.000Z level=warning component_id=influx message=\"InfluxDB at http://h:8086 still failing\"\n",
        ])
    }

    @Test func aQuietProcessGetsItsSummaryFromTheSweepAndAtExitFromFlush() {
        let recorder = Recorder()
        let output = recorder.output()
        let logger = Logger(label: "smokeflow") { output.handler(label: $0, level: .trace) }
        for _ in 0..<4 { logger.debug("tick") }
        _ = recorder.taken()
        output.sweep()
        #expect(recorder.taken().isEmpty)
        recorder.advance(60 * Self.second)
        output.sweep()
        #expect(recorder.taken().map { $0.contains("message=\"… 2 more in the last minute\"") } == [true])
        for _ in 0..<3 { logger.debug("tock") }
        _ = recorder.taken()
        output.flush()
        #expect(recorder.taken().map { $0.contains("message=\"… 1 more in the last minute\" repeated_message=tock") } == [true])
    }
}
