import Foundation

/// What one answer of InfluxDB's write endpoint means for the lines sent. Only a 2xx, a 413 and
/// a genuine partial write say something about the lines; every other answer wrote nothing, so
/// the request is sent again and positions never move past it.
enum WriteVerdict: Sendable, Equatable {
    case accepted
    case tooLarge
    /// A partial write: `dropped` lines were refused for good (InfluxDB wrote the others).
    case rejected(dropped: Int)
    case retry(WriteFailure)

    /// `status`, what the server said (`message`, redacted, one line), the start of its body
    /// (`head`, at most `InfluxServer.bodyLimit` bytes) and its `Location` and `Retry-After`.
    static func of(status: UInt, message: String, head: String, location: String?, retryAfter: String?, lines: Int) -> WriteVerdict {
        switch status {
        case 200..<300: return .accepted
        case 413: return .tooLarge
        case 400 where isPartialWrite(head), 422 where isPartialWrite(head):
            return .rejected(dropped: droppedLines(in: head, lines: lines))
        case 300..<400:
            let target = location.map { "redirect to \($0)" } ?? "redirect without a Location"
            return .retry(WriteFailure(kind: .refused, status: status, message: "\(target), not followed (a redirected write can lose its body); set 'url' to the final address"))
        case 408, 429, 500..<600:
            return .retry(WriteFailure(kind: .overloaded, status: status, message: message, retryAfter: RetryBackoff.retryAfter(retryAfter)))
        default:
            // 401/403/404 (a proxy says so while its backend restarts, or the configuration is
            // wrong), request-level 400s (no org, bad precision, headers too large), 405, 409-431,
            // 499…: nothing was written and nothing says a line is at fault.
            return .retry(WriteFailure(kind: .refused, status: status, message: message))
        }
    }

    /// InfluxDB 1.x says "partial write: … dropped=N" or names each line it could not parse;
    /// 2.x the same inside `message` (400 or 422); 3.x "partial write of line protocol occurred".
    static func isPartialWrite(_ head: String) -> Bool {
        let text = head.lowercased()
        return text.contains("partial write") || text.contains("unable to parse")
    }

    /// `dropped=N` when the server says it; else one per line it names (at most `lines`, and a
    /// lower bound when the body was longer than what was read); else every line.
    static func droppedLines(in text: String, lines: Int) -> Int {
        if let range = text.range(of: "dropped=") {
            let digits = text[range.upperBound...].prefix { $0.isNumber }
            if let count = Int(digits) { return min(count, lines) }
        }
        let named = max(text.components(separatedBy: "unable to parse").count, text.components(separatedBy: "\"line_number\"").count) - 1
        return named > 0 ? min(named, lines) : lines
    }
}

/// Why a request wrote nothing, for the log, the backoff and the error once attempts run out.
struct WriteFailure: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// No connection: refused, or the connect timed out. Retried at a short interval.
        case unreachable
        /// Connected, but no answer (timeout, connection closed): retried with backoff.
        case noAnswer
        /// 408, 429, 5xx: the server is busy; its Retry-After is a floor.
        case overloaded
        /// Any other answer: a proxy, a redirect or the configuration; logged as an error.
        case refused
    }

    var kind: Kind
    /// nil when there was no answer.
    var status: UInt?
    /// One line, redacted.
    var message: String
    var retryAfter: Duration?

    init(kind: Kind, status: UInt? = nil, message: String, retryAfter: Duration? = nil) {
        self.kind = kind
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    /// The `cause` label of `smokeflow_sink_retries_total`.
    var cause: String {
        switch (kind, status) {
        case (.unreachable, _): "connection"
        case (.noAnswer, _): "timeout"
        case (_, 429?): "status_429"
        case (_, let code?) where code >= 500: "status_5xx"
        default: "status_other"
        }
    }

    /// `HTTP 503: overloaded`, or why there was no answer.
    var summary: String {
        guard let status else { return message }
        return "HTTP \(status)" + (message.isEmpty ? "" : ": \(message.prefix(200))")
    }
}
