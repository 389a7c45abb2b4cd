import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Sends one request body with retries, and says what became of its lines.
struct InfluxWriter: Sendable {
    enum Outcome: Sendable, Equatable {
        case accepted
        /// The server refused `dropped` lines for good (400/422 and other 4xx).
        case rejected(dropped: Int)
    }

    let configuration: InfluxSinkConfiguration
    let endpoint: InfluxEndpoint
    let client: HTTPClient
    let logger: Logger
    let outage: OutageLog

    func write(_ body: ByteBuffer, lines: Int) async throws -> Outcome {
        var attempt = 0
        var backoff = configuration.retryInitialBackoff
        let server = endpoint.server.displayName
        // The last retryable failure, for the error when the attempts run out.
        var lastStatus: UInt?
        var lastFailure = ""
        while true {
            attempt += 1
            let delay: Duration
            var serverSaid = false
            do {
                let response = try await send(body)
                let status = response.status.code
                switch status {
                case 200..<300:
                    outage.recovered(logger: logger, endpoint: server)
                    return .accepted
                case 413:
                    return try await split(body, lines: lines)
                case 401, 403:
                    throw InfluxWriteError(.credentialsRefused, server: server, status: status, message: response.message)
                case 404:
                    let what = endpoint.api == .v1 ? "database" : "org or bucket"
                    throw InfluxWriteError(.notFound(what: what), server: server, status: status, message: response.message)
                case 429, 500..<600:
                    outage.failed(logger: logger, endpoint: server, reason: "HTTP \(status)")
                    (lastStatus, lastFailure) = (status, response.message)
                    serverSaid = response.retryAfter != nil
                    delay = response.retryAfter ?? backoff
                default:
                    outage.recovered(logger: logger, endpoint: server)
                    let dropped = Self.droppedLines(in: response.message, lines: lines)
                    outage.rejected(logger: logger, status: status, message: response.message, dropped: dropped)
                    return .rejected(dropped: dropped)
                }
            } catch let error as InfluxWriteError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                let reason = endpoint.server.redacted("\(error)")
                outage.failed(logger: logger, endpoint: server, reason: reason)
                (lastStatus, lastFailure) = (nil, reason)
                delay = backoff
            }
            if configuration.retryMaxAttempts > 0 && attempt >= configuration.retryMaxAttempts {
                throw InfluxWriteError(.retriesExhausted(attempts: attempt), server: server, status: lastStatus, message: lastFailure)
            }
            // Jitter between half and all of our own backoff, so many agents do not retry in
            // step; a server's Retry-After is a floor, so it only gets jitter added.
            let wait = serverSaid ? delay + backoff * Double.random(in: 0...0.5) : delay * Double.random(in: 0.5...1.0)
            try await Task.sleep(for: wait)
            backoff = min(backoff * 2, configuration.retryMaxBackoff)
        }
    }

    private struct Response {
        var status: HTTPResponseStatus
        var message: String
        var retryAfter: Duration?
    }

    private func send(_ body: ByteBuffer) async throws -> Response {
        var request = endpoint.server.request(endpoint.writeURL, method: .POST)
        request.headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        if configuration.gzip {
            request.headers.add(name: "Content-Encoding", value: "gzip")
            request.body = .bytes(try Gzip.compress(body))
        } else {
            request.body = .bytes(body)
        }
        let response = try await client.execute(request, timeout: TimeAmount(configuration.requestTimeout))
        let bytes = try await InfluxServer.readBody(response.body)
        let retryAfter = response.headers.first(name: "Retry-After").flatMap(Int.init).map { Duration.seconds($0) }
        return Response(status: response.status, message: endpoint.server.message(from: bytes), retryAfter: retryAfter)
    }

    /// A 1.x partial write says `dropped=N`; a parse error names each bad line.
    static func droppedLines(in message: String, lines: Int) -> Int {
        if let range = message.range(of: "dropped=") {
            let digits = message[range.upperBound...].prefix { $0.isNumber }
            if let count = Int(digits) { return count }
        }
        let unparsable = message.components(separatedBy: "unable to parse").count - 1
        return unparsable > 0 ? min(unparsable, lines) : lines
    }

    /// 413: halve the body at a line boundary and send both halves.
    private func split(_ body: ByteBuffer, lines: Int) async throws -> Outcome {
        guard lines > 1 else {
            logger.warning("InfluxDB refused a single line as too large (HTTP 413); dropping it")
            return .rejected(dropped: 1)
        }
        let bytes = Array(body.readableBytesView)
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

/// One warning when InfluxDB becomes unreachable and one line when it is back, not one per
/// retry; the first refused write is logged with the server's reason (it names the bad line),
/// later ones only at debug level and in the dropped count.
final class OutageLog: Sendable {
    private let failing = Mutex(false)
    private let rejectedBefore = Mutex(false)

    func rejected(logger: Logger, status: UInt, message: String, dropped: Int) {
        let first = rejectedBefore.withLock { seen in
            defer { seen = true }
            return !seen
        }
        if first {
            logger.warning("InfluxDB refused \(dropped) point(s) (HTTP \(status)): \(message.prefix(400)); later refusals are only counted")
        } else {
            logger.debug("InfluxDB refused \(dropped) point(s) (HTTP \(status))")
        }
    }

    func failed(logger: Logger, endpoint: String, reason: String) {
        let first = failing.withLock { failing in
            defer { failing = true }
            return !failing
        }
        if first {
            logger.warning("InfluxDB at \(endpoint) is failing (\(reason)); retrying with backoff")
        } else {
            logger.debug("InfluxDB at \(endpoint) still failing (\(reason))")
        }
    }

    func recovered(logger: Logger, endpoint: String) {
        let was = failing.withLock { failing in
            defer { failing = false }
            return failing
        }
        if was { logger.info("InfluxDB at \(endpoint) accepts writes again") }
    }
}
