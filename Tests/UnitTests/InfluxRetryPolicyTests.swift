@testable import Components
import Logging
import Synchronization
import Testing

/// The `influx` sink's verdict on an answer and its backoff, without a server (issue 11:
/// review C2, M3, M4, the outage line).
@Suite struct InfluxRetryPolicyTests {
    func verdict(_ status: UInt, _ body: String = "", location: String? = nil, retryAfter: String? = nil, lines: Int = 10) -> WriteVerdict {
        WriteVerdict.of(status: status, message: body, head: body, location: location, retryAfter: retryAfter, lines: lines)
    }

    @Test func onlyAPartialWriteIsARejection() {
        #expect(verdict(204) == .accepted)
        #expect(verdict(413) == .tooLarge)
        #expect(verdict(400, #"{"error":"partial write: field type conflict: … dropped=3"}"#) == .rejected(dropped: 3))
        #expect(verdict(400, #"{"error":"unable to parse 'a': x\nunable to parse 'b': y"}"#) == .rejected(dropped: 2))
        #expect(verdict(422, #"{"code":"unprocessable entity","message":"partial write: points beyond retention policy dropped=1"}"#) == .rejected(dropped: 1))
        #expect(verdict(400, #"{"error":"partial write of line protocol occurred","data":[{"line_number":2},{"line_number":5}]}"#) == .rejected(dropped: 2))
        for (status, body) in [
            (400, #"{"code":"invalid","message":"Please provide either orgID or org"}"#), (400, "invalid precision"),
            (422, "unprocessable"), (301, ""), (401, ""), (403, ""), (404, "database not found"), (405, ""), (409, ""), (431, ""), (499, ""),
        ] as [(UInt, String)] {
            guard case .retry(let failure) = verdict(status, body) else {
                Issue.record("HTTP \(status) \(body) is not retried")
                continue
            }
            #expect(failure.kind == .refused && failure.status == status)
        }
        for status: UInt in [408, 429, 500, 502, 503, 504] {
            guard case .retry(let failure) = verdict(status) else {
                Issue.record("HTTP \(status) is not retried")
                continue
            }
            #expect(failure.kind == .overloaded)
        }
    }

    @Test func aRedirectSaysWhereItPointsAndIsNotFollowed() throws {
        guard case .retry(let failure) = verdict(301, location: "https://influx.example/write?db=d") else {
            Issue.record("a redirect is not retried")
            return
        }
        #expect(failure.summary == "HTTP 301: redirect to https://influx.example/write?db=d, not followed (a redirected write can lose its body); set 'url' to the final address")
    }

    @Test func retryAfterIsAFloorCappedAtTheMaximumWithJitterOnTop() {
        #expect(RetryBackoff.retryAfter("-5") == nil)
        #expect(RetryBackoff.retryAfter("soon") == nil)
        #expect(RetryBackoff.retryAfter("99999999999999999999") == nil)
        #expect(RetryBackoff.retryAfter(" 7 ") == .seconds(7))
        var backoff = RetryBackoff(initial: .milliseconds(500), maximum: .seconds(30))
        #expect(backoff.next(unreachable: false, retryAfter: .seconds(Int.max), random: 0) == .seconds(30))
        #expect(backoff.next(unreachable: false, retryAfter: .seconds(10), random: 0) == .seconds(10))
        #expect(backoff.next(unreachable: false, retryAfter: .seconds(10), random: 1) == .seconds(15), "jitter on top of the floor")
    }

    @Test func theBackoffDoublesWithJitterAndIsCappedWhileUnreachable() {
        var backoff = RetryBackoff(initial: .seconds(1), maximum: .seconds(30))
        let waits = (0..<8).map { _ in backoff.next(unreachable: false, retryAfter: nil, random: 1) }
        #expect(waits == [1, 2, 4, 8, 16, 30, 30, 30].map { Duration.seconds($0) })
        #expect(backoff.next(unreachable: false, retryAfter: nil, random: 0) == .seconds(15))
        // After a long outage the backoff has grown to its maximum; refused connects still retry within a second.
        #expect(backoff.next(unreachable: true, retryAfter: nil, random: 1) == RetryBackoff.unreachableCap)
        #expect(backoff.next(unreachable: true, retryAfter: nil, random: 0) == RetryBackoff.unreachableCap / 2)
        #expect(RetryBackoff.unreachableCap <= .seconds(1))
    }

    @Test func theOutageLinesAreBalancedOneLinersAtTheRightLevel() {
        let lines = LogLines()
        let logger = Logger(label: "test") { _ in lines }
        let outage = OutageLog()
        outage.failed(logger: logger, endpoint: "http://h:8086", WriteFailure(kind: .unreachable, message: "connection refused"))
        outage.failed(logger: logger, endpoint: "http://h:8086", WriteFailure(kind: .unreachable, message: "connection refused"))
        outage.failed(logger: logger, endpoint: "http://h:8086", WriteFailure(kind: .refused, status: 404, message: "database not found"))
        outage.recovered(logger: logger, endpoint: "http://h:8086")
        let logged = lines.logged.withLock { $0 }
        #expect(logged.map(\.level) == [.warning, .debug, .error, .info])
        #expect(logged.first?.message == "InfluxDB at http://h:8086 is failing: connection refused; retrying with backoff")
        for (_, message) in logged {
            #expect(message.filter { $0 == "(" }.count == message.filter { $0 == ")" }.count, "\(message)")
            #expect(!message.contains("\n"))
        }
    }
}

/// A log handler keeping what one logger logged (never the process-wide logging system).
final class LogLines: LogHandler, @unchecked Sendable {
    let logged = Mutex<[(level: Logger.Level, message: String)]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        logged.withLock { $0.append((level, "\(message)")) }
    }
}
