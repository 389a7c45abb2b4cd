import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import PipelineRuntime

/// The largest body (bytes, before compression) the server has accepted in this run: a 413
/// for a single line no larger than that is not about the line.
final class LargestAccepted: Sendable {
    private let bytes = Mutex(0)
    var value: Int { bytes.withLock { $0 } }
    func record(_ size: Int) { bytes.withLock { $0 = max($0, size) } }
}

/// Sends one request body with retries, and says what became of its lines.
struct InfluxWriter: Sendable {
    enum Outcome: Sendable, Equatable {
        case accepted
        /// The server refused `dropped` lines for good (a partial write, or a line too large).
        case rejected(dropped: Int)
    }

    let configuration: InfluxSinkConfiguration
    let endpoint: InfluxEndpoint
    let client: HTTPClient
    let logger: Logger
    let outage: OutageLog
    let metrics: SinkWriteMetrics
    let largestAccepted = LargestAccepted()

    func write(_ body: ByteBuffer, lines: Int) async throws -> Outcome {
        var attempt = 0
        var backoff = RetryBackoff(initial: configuration.retryInitialBackoff, maximum: configuration.retryMaxBackoff)
        let server = endpoint.server.displayName
        while true {
            attempt += 1
            let failure: WriteFailure
            do {
                switch try await metrics.request { try await send(body, lines: lines) } {
                case .accepted:
                    metrics.succeeded(bytes: body.readableBytes)
                    outage.recovered(logger: logger, endpoint: server)
                    largestAccepted.record(body.readableBytes)
                    return .accepted
                case .tooLarge where Self.lineCount(body) <= 1
                    && (body.readableBytes <= largestAccepted.value || attempt < Self.singleLineAttempts):
                    // One line cannot be split further. When a larger body went through before,
                    // this 413 comes from a proxy or a server refusing for a while (a storm),
                    // not from the line: sent again for as long as it takes. Otherwise it may
                    // be too large for good: sent again a few times before it is dropped.
                    failure = WriteFailure(
                        kind: .overloaded, status: 413,
                        message: "a single line of \(body.readableBytes) bytes refused as too large (largest body accepted so far: \(largestAccepted.value) bytes); retried")
                case .tooLarge:
                    outage.recovered(logger: logger, endpoint: server)
                    return try await split(body, lines: lines)
                case .rejected(let dropped, let status, let message):
                    metrics.succeeded(bytes: body.readableBytes)
                    outage.recovered(logger: logger, endpoint: server)
                    outage.rejected(logger: logger, status: status, message: message, dropped: dropped)
                    return .rejected(dropped: dropped)
                case .retry(let answer):
                    failure = answer
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                failure = WriteFailure(error, server: endpoint.server)
            }
            outage.failed(logger: logger, endpoint: server, failure)
            if configuration.retryMaxAttempts > 0 && attempt >= configuration.retryMaxAttempts {
                metrics.failed(errorType: "request_failed", reason: failure.summary)
                throw InfluxWriteError(exhausted: attempt, failure, server: server, api: endpoint.api)
            }
            metrics.retrying(cause: failure.cause, reason: failure.summary)
            let wait = backoff.next(unreachable: failure.kind == .unreachable, retryAfter: failure.retryAfter, random: .random(in: 0...1))
            try await Task.sleep(for: wait)
        }
    }

    private enum Answer {
        case accepted, tooLarge
        case rejected(dropped: Int, status: UInt, message: String)
        case retry(WriteFailure)
    }

    private func send(_ body: ByteBuffer, lines: Int) async throws -> Answer {
        var request = endpoint.server.request(endpoint.writeURL, method: .POST)
        request.headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        if configuration.gzip {
            request.headers.add(name: "Content-Encoding", value: "gzip")
            request.body = .bytes(try Gzip.compress(body))
        } else {
            request.body = .bytes(body)
        }
        let response = try await client.execute(request, timeout: TimeAmount(configuration.requestTimeout))
        // At most the first 64 KiB: an error body is for one log line and the verdict.
        let bytes = try await InfluxServer.readBody(response.body)
        let message = endpoint.server.message(from: bytes)
        let verdict = WriteVerdict.of(
            status: response.status.code, message: message, head: String(decoding: bytes.readableBytesView, as: UTF8.self),
            location: response.headers.first(name: "Location").map(endpoint.server.redacted),
            retryAfter: response.headers.first(name: "Retry-After"), lines: lines)
        switch verdict {
        case .accepted: return .accepted
        case .tooLarge: return .tooLarge
        case .rejected(let dropped): return .rejected(dropped: dropped, status: response.status.code, message: message)
        case .retry(let failure): return .retry(failure)
        }
    }

    /// Attempts for a single line refused with 413 that is larger than every body accepted so
    /// far, before it is dropped as too large.
    static let singleLineAttempts = 10

    static func lineCount(_ body: ByteBuffer) -> Int {
        body.readableBytesView.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }

    /// 413: halve the body at a line boundary and send both halves. The lines are counted in
    /// the body itself, so the cut is right whatever the caller counted.
    private func split(_ body: ByteBuffer, lines _: Int) async throws -> Outcome {
        let bytes = Array(body.readableBytesView)
        let lines = Self.lineCount(body)
        guard lines > 1 else {
            logger.warning("InfluxDB refused a single line as too large (HTTP 413); dropping it")
            return .rejected(dropped: lines)
        }
        var newlines = 0
        var cut = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            newlines += 1
            if newlines == lines / 2 {
                cut = index + 1
                break
            }
        }
        let first = try await write(ByteBuffer(bytes: bytes[..<cut]), lines: lines / 2)
        let second = try await write(ByteBuffer(bytes: bytes[cut...]), lines: lines - lines / 2)
        switch (first, second) {
        case (.accepted, .accepted): return .accepted
        case (.rejected(let a), .accepted): return .rejected(dropped: a)
        case (.accepted, .rejected(let b)): return .rejected(dropped: b)
        case (.rejected(let a), .rejected(let b)): return .rejected(dropped: a + b)
        }
    }
}
